-- One database per service (the container path of infra/postgres/pg.sh's provisioning).
CREATE DATABASE kyc;
CREATE DATABASE issuance;
CREATE DATABASE fx;
CREATE DATABASE settlement;
CREATE DATABASE redemption;
