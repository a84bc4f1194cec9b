-- One database per service and one for the simulated bank (the container path of
-- infra/postgres/pg.sh's provisioning).
CREATE DATABASE kyc;
CREATE DATABASE issuance;
CREATE DATABASE fx;
CREATE DATABASE settlement;
CREATE DATABASE redemption;
CREATE DATABASE bank;
