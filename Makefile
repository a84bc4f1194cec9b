# CNH stablecoin platform: every operator and developer entry point.  `make help` lists them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        ?= .venv
RUN_DIR     ?= $(CURDIR)/.run
KAFKA_PORT  ?= 19092
KAFKA_CONTROLLER_PORT ?= 19093
KAFKA_HEAP  ?= 512m
PG_PORT     ?= 55432
# each service process serves /health/ready on BASE + 100 x its place + its instance (0: none)
HEALTH_PORT_BASE ?= 18100
# the simulated bank's HTTP API (simulators/bank), an outside system the services reach
BANK_PORT   ?= 18190
# the token's local EVM node (anvil, infra/chain/anvil.sh); settings: infra/chain/settings.py
ANVIL_PORT  ?= 18545
CHAIN_ID    ?= 852852
CHAIN_BLOCK_TIME ?= 1
CHAIN_CONFIRMATIONS ?= 3
PYTEST_ARGS ?=

PY         := $(CURDIR)/$(VENV)/bin/python

export RUN_DIR KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_HEAP PG_PORT HEALTH_PORT_BASE BANK_PORT PY
export ANVIL_PORT CHAIN_ID CHAIN_BLOCK_TIME CHAIN_CONFIRMATIONS
# the chain id of the EIP-712 domain holders sign (services/runtime/settings.py) is the node's
export CNH_CHAIN_ID ?= $(CHAIN_ID)
export CNH_KAFKA_BOOTSTRAP ?= 127.0.0.1:$(KAFKA_PORT)
# {user}: the process's own login (its principal); the password comes from its passfile
export CNH_DATABASE_URL_TEMPLATE ?= postgresql://{user}@127.0.0.1:$(PG_PORT)/{service}
# each principal's secrets (Kafka password, CA, PostgreSQL passfile): infra/secrets.py
export CNH_SECRETS_ROOT ?= $(RUN_DIR)/secrets
# read-only tools and reports log in as the operator (PostgreSQL: read-only; Kafka: reads)
AS_OPERATOR := CNH_PRINCIPAL=operator
VENV_STAMP := $(VENV)/.installed
JARS_STAMP := $(RUN_DIR)/kafka/libs/.resolved
NPM_STAMP  := node_modules/.installed
SERVICES   := kyc issuance fx settlement redemption

.PHONY: help install node-modules contracts contracts-check chain-deploy chain-status \
        chain-allowance chain-pause chain-unpause kafka-jars infra-up \
        infra-down infra-status topics topics-check acls migrate \
        sanctions-load sanctions-sources sanctions-activate kyc-reencrypt supply attest fx-review \
        fx-release fx-reject up bank-up down status saga sagas dlq dlq-replay parked parked-requeue \
        test test-unit test-integration lint format snapshots demo bench bench-relay \
        bench-recovery soak soak-short clean

help: ## List the targets
	@echo "CNH stablecoin platform. Start with 'make demo' or 'make test'."
	@echo
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[1m%-18s\033[0m %s\n", $$1, $$2}'
	@echo
	@echo "Ports: Kafka 127.0.0.1:$(KAFKA_PORT), PostgreSQL 127.0.0.1:$(PG_PORT), health from $(HEALTH_PORT_BASE), bank 127.0.0.1:$(BANK_PORT), EVM node 127.0.0.1:$(ANVIL_PORT) (chain $(CHAIN_ID)); state in $(RUN_DIR)"

install: $(VENV_STAMP) ## Create the virtualenv and install the project with its dev tools

$(VENV_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@infra/icu.sh
	@$(PY) -m pip install --quiet --upgrade pip
	@echo "installing Python packages into $(VENV) ..."
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node-modules: $(NPM_STAMP) ## Install the pinned solc-js and anvil from npm (package-lock.json)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are required (solc-js, anvil)" >&2; exit 1; }
	@echo "installing solc-js and anvil from npm (package-lock.json) ..."
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

contracts: install $(NPM_STAMP) ## Compile contracts/*.sol with the pinned solc into contracts/artifacts/ (commit them)
	@$(PY) -m infra.chain.compile

contracts-check: install $(NPM_STAMP) ## Fail if compiling the contracts again gives other bytes than the committed ones
	@$(PY) -m infra.chain.compile --check

chain-deploy: install ## Deploy XCNH on the node and grant its roles to the run folder's keys (idempotent)
	@$(PY) -m infra.chain.deploy

chain-status: install ## The token on chain: address, paused, total supply, minter allowance, who holds each role
	@$(PY) -m infra.chain.admin status

chain-allowance: install ## Set the minter's allowance (master minter's key): AMOUNT=token minor units
	@test -n "$(AMOUNT)" || { echo "usage: make chain-allowance AMOUNT=<minor units> (1 XCNH = 1000000)" >&2; exit 2; }
	@$(PY) -m infra.chain.admin allowance "$(AMOUNT)"

chain-pause: install ## Stop every transfer, mint and burn of the token (pauser's key)
	@$(PY) -m infra.chain.admin pause

chain-unpause: install ## Resume the token's transfers, mints and burns (pauser's key)
	@$(PY) -m infra.chain.admin unpause

kafka-jars: $(JARS_STAMP) ## Resolve Apache Kafka and its logging jars from Maven Central

$(JARS_STAMP): infra/kafka/pom.xml
	@command -v mvn >/dev/null || { echo "Maven (mvn) is required to fetch Kafka" >&2; exit 1; }
	@command -v java >/dev/null || { echo "Java 17+ is required to run Kafka" >&2; exit 1; }
	@echo "resolving Apache Kafka from Maven Central into $(RUN_DIR)/kafka/libs ..."
	@rm -rf $(RUN_DIR)/kafka/libs
	@mvn -B -q -f infra/kafka/pom.xml \
	  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
	  -DincludeScope=runtime -DoutputDirectory=$(RUN_DIR)/kafka/libs
	@touch $@

infra-up: install kafka-jars $(NPM_STAMP) ## Start PostgreSQL, Kafka and the EVM node; topics, migrations, the token deployed
	@infra/postgres/pg.sh start
	@infra/kafka/kafka.sh start
	@infra/chain/anvil.sh start
	@$(MAKE) --no-print-directory topics migrate chain-deploy

infra-down: ## Stop the EVM node, Kafka and PostgreSQL (data stays in the run folder)
	@infra/chain/anvil.sh stop
	@infra/kafka/kafka.sh stop
	@infra/postgres/pg.sh stop

infra-status: ## Show whether Kafka, PostgreSQL and the EVM node are running
	@infra/kafka/kafka.sh status
	@infra/postgres/pg.sh status
	@infra/chain/anvil.sh status

topics: install ## Create or reconcile the topics, principals and ACLs of the registry (as admin)
	@$(PY) -m infra.kafka.topics

topics-check: install ## Report drift of topics, principals (logins) and ACLs from the registry
	@$(PY) -m infra.kafka.topics --check

acls: install ## Print the ACL table the registry grants (who may write and read what)
	@$(PY) -m infra.kafka.acls --list

migrate: install ## Apply database migrations of every service
	@for service in $(SERVICES); do $(PY) -m services.runtime.migrate $$service || exit 1; done

test: install kafka-jars $(NPM_STAMP) ## Lint, then run every test against real Kafka and PostgreSQL
	@$(MAKE) --no-print-directory lint
	@infra/with-servers.sh $(VENV)/bin/pytest $(PYTEST_ARGS)

test-unit: install ## Run the unit tests only (no servers needed)
	@$(VENV)/bin/pytest tests/unit $(PYTEST_ARGS)

test-integration: install kafka-jars $(NPM_STAMP) ## Run the integration tests (starts servers if needed)
	@infra/with-servers.sh $(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)

lint: install ## ruff (lint and format check) and mypy
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy schemas services simulators infra tests clients demo bench

format: install ## Apply ruff's formatting and safe fixes
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

snapshots: install ## Write JSON Schema snapshots of the message contracts (refuses breaking changes)
	@$(PY) -m schemas.snapshot --write

demo: install kafka-jars $(NPM_STAMP) ## The main job: onboard, deposit, mint, redeem across currencies (one compensated)
	@infra/with-servers.sh bash -c '$(MAKE) --no-print-directory topics migrate chain-deploy >/dev/null && $(PY) -m demo'

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(VENV_STAMP) pyproject.toml
	@echo "installing the benchmark's extras (matplotlib, py-spy) into $(VENV) ..."
	@$(PY) -m pip install --quiet -e '.[dev,bench]'
	@touch $@

bench: $(BENCH_STAMP) kafka-jars ## End-to-end benchmark vs the machine's limits (QUICK=1: < 2 min; REPLICAS="1 2")
	@infra/with-servers.sh bash -c '$(MAKE) --no-print-directory topics migrate >/dev/null && QUICK=$(QUICK) $(PY) -m bench'

bench-relay: install kafka-jars ## Measure the outbox relay's throughput on the real broker
	@infra/with-servers.sh $(PY) -m bench.relay

bench-recovery: $(BENCH_STAMP) kafka-jars ## Restart the broker under load: time to the first outcome after ready (RECOVERY_RESTARTS=3)
	@infra/with-servers.sh bash -c '$(MAKE) --no-print-directory topics migrate >/dev/null && $(PY) -m bench.recovery'

# The soak restarts the run folder's servers itself (kafka.sh / pg.sh stop and start).
SOAK = infra/with-servers.sh $(PY) -m bench.soak

soak: install kafka-jars ## Load under faults (kill -9, broker and PostgreSQL restarts) + independent audit (SOAK_RATE=25 SOAK_MINUTES=10)
	@$(SOAK)

soak-short: install kafka-jars ## The soak in under 5 minutes (10/s for 2 min, one broker and one PostgreSQL restart)
	@SOAK_RATE=$${SOAK_RATE:-10} SOAK_MINUTES=$${SOAK_MINUTES:-2} SOAK_HOLDERS=$${SOAK_HOLDERS:-40} \
	  SOAK_HEAL_TIMEOUT_S=$${SOAK_HEAL_TIMEOUT_S:-120} \
	  SOAK_RESULT=$${SOAK_RESULT:-soak-short-latest.json} $(SOAK)

clean: infra-down ## Stop servers and delete the run folder (all local data)
	@rm -rf $(RUN_DIR)

# --- operator commands of the services ------------------------------------------------------

sanctions-load: install ## Load a sanctions list version and re-screen: FILE=path (UN XML, OFAC sdn.csv; HK: SOURCE=hk-cedb FILE="a.xml b.xml")
	@test -n "$(FILE)" || { echo "usage: make sanctions-load FILE=path/to/list [SOURCE=un-consolidated|ofac-sdn|hk-cedb]" >&2; exit 2; }
	@$(PY) -m services.kyc.cli sanctions-load $(if $(SOURCE),--source "$(SOURCE)") $(foreach f,$(FILE),"$(f)")

sanctions-sources: install ## Sanctions list versions per source: published, digest, entries, loaded at, active
	@$(AS_OPERATOR) $(PY) -m services.kyc.cli sanctions-sources

sanctions-activate: install ## Make a known list version its source's active one again and re-screen: VERSION=id
	@test -n "$(VERSION)" || { echo "usage: make sanctions-activate VERSION=<version>  (known: make sanctions-sources)" >&2; exit 2; }
	@$(PY) -m services.kyc.cli sanctions-activate "$(VERSION)"

kyc-reencrypt: install ## After rotate-records: encrypt every KYC record again under the active key
	@$(PY) -m services.kyc.cli reencrypt

supply: install ## Token supply check: minted - burned == balances + holds (issuance)
	@$(AS_OPERATOR) $(PY) -m services.issuance.cli supply

attest: install ## Reserve attestation report: supply, reserve, coverage, movements, exceptions
	@$(AS_OPERATOR) $(PY) -m services.settlement.cli attest

fx-review: install ## FX pairs held for review (a rate walked away from its window); ALL=1: closed too
	@$(AS_OPERATOR) $(PY) -m services.fx.cli holds $(if $(ALL),--all)

fx-release: install ## Release an FX hold: its latest held rate becomes the mid, quoting resumes: PAIR=CNH/EUR
	@test -n "$(PAIR)" || { echo "usage: make fx-release PAIR=CNH/EUR  (held: make fx-review)" >&2; exit 2; }
	@$(PY) -m services.fx.cli release "$(PAIR)"

fx-reject: install ## Reject an FX hold: the held rates stay unused, quoting resumes on the book: PAIR=CNH/EUR
	@test -n "$(PAIR)" || { echo "usage: make fx-reject PAIR=CNH/EUR  (held: make fx-review)" >&2; exit 2; }
	@$(PY) -m services.fx.cli reject "$(PAIR)"

# --- running the platform ------------------------------------------------------------------

up: infra-up ## Start the simulated bank and every service in the background (REPLICAS=n per service); logs in .run/logs
	@$(PY) -m infra.platform up

bank-up: infra-up ## Start only the simulated bank (simulators/bank) on 127.0.0.1:$(BANK_PORT)
	@$(PY) -m infra.platform up bank

down: ## Stop the bank and the services started by 'make up' (servers stay up: make infra-down)
	@$(PY) -m infra.platform down

status: ## Servers, and each service: ready, waiting (for what, since when) or dead; exits 1 unless all ready
	@infra/kafka/kafka.sh status
	@infra/postgres/pg.sh status
	@infra/chain/anvil.sh status
	@$(PY) -m infra.platform status

saga: install ## One redemption's timeline: every step, command, reply and compensation: ID=uuid
	@test -n "$(ID)" || { echo "usage: make saga ID=<redemption id>  (latest: make sagas)" >&2; exit 2; }
	@$(AS_OPERATOR) $(PY) -m services.redemption.cli saga "$(ID)"

sagas: install ## The latest redemptions with their status
	@$(AS_OPERATOR) $(PY) -m services.redemption.cli list

dlq: install ## List the dead letters of every service, with reasons
	@$(PY) -m services.runtime.dlq list

dlq-replay: install ## Re-inject dead letters after a fix: ID=uuid (or ALL=1)
	@test -n "$(ID)$(ALL)" || { echo "usage: make dlq-replay ID=<dead letter id> | ALL=1" >&2; exit 2; }
	@$(PY) -m services.runtime.dlq replay $(if $(ALL),--all,--id "$(ID)")

parked: install ## List outbox rows the relay parked (the broker refused them for good), with reasons
	@$(AS_OPERATOR) $(PY) -m services.runtime.parked list $(if $(SERVICE),--service "$(SERVICE)")

parked-requeue: install ## Hand parked rows back to the relay after a fix: SERVICE=name ID=id (or ALL=1)
	@test -n "$(SERVICE)" -a -n "$(ID)$(ALL)" || { echo "usage: make parked-requeue SERVICE=<service> ID=<row id> | ALL=1" >&2; exit 2; }
	@$(PY) -m services.runtime.parked requeue --service "$(SERVICE)" $(if $(ALL),--all,$(foreach id,$(ID),--id $(id)))
