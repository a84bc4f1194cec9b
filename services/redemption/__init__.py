"""The redemption saga: coordinates a cross-currency redemption across KYC, issuance, FX and
settlement (design section 5)."""
