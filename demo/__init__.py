"""`make demo`: the platform's main job on an embedded default (see __main__)."""
