# Lift: every target bootstraps what it needs (uv, the locked environment) from a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` and `make integration` (0: one process, no xdist).
PYTEST_WORKERS ?= 2

.PHONY: help bootstrap browser doctor run restart dev test unit integration e2e pacts fuzz lint fmt typecheck bench bench-check load up down seed logs queues redrive package deploy deploy-mesh new-service update-service token clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

bootstrap: ## Install uv if missing and sync the locked workspace (run and test do this for you)
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv
	@$(UV) sync --locked --all-packages --quiet

run: bootstrap ## Start the embedded estate (emulator, identity, every service) with demo data; Ctrl-C stops (ONLY="x y": those services alone)
	@$(UV) run python -m devtools.estate $(if $(ONLY),--only $(ONLY))
restart: bootstrap ## Restart one service of the running embedded estate (it restarts crashed ones by itself): SERVICE=banking
	@test -n "$(SERVICE)" || { echo "make restart: SERVICE=<identity or a service> is required"; exit 2; }
	@$(UV) run python -m devtools.estate restart $(SERVICE)

dev: bootstrap ## Like run, with services restarted on code changes
	@$(UV) run python -m devtools.estate --reload

test: bootstrap browser ## Run every suite this machine can run (unit, integration, e2e; compose e2e skips without Docker), on 2 xdist workers (PYTEST_WORKERS=0: one process)
	$(UV) run pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Debian's chromium and chromedriver for the /docs browser test, where apt-get can install them
# (as `make bench` does wrk); elsewhere that test is skipped with one line.
browser:
	@command -v chromedriver >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; }; }; } || \
	  echo "make: chromium and chromedriver cannot be installed here; the /docs browser test will be skipped"
doctor: ## Report what this machine has (uv, Python, Docker engine, registries, browser, free ports, AWS) and what each missing piece disables
	@python3 -m devtools.doctor
unit: bootstrap ## Run unit tests only
	$(UV) run pytest -m unit $(PYTEST_ARGS)

integration: bootstrap ## Run integration tests only (embedded DynamoDB emulator, local servers)
	$(UV) run pytest -m integration -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

e2e: bootstrap browser ## Run the journeys against the embedded estate, then compose (E2E_TARGET=local|compose|url picks one)
	$(UV) run pytest -m e2e $(PYTEST_ARGS)

lint: bootstrap ## Lint and check formatting with ruff; cfn-lint the SAM templates
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run cfn-lint infra/sam/*.yaml

fmt: bootstrap ## Format and auto-fix with ruff
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

typecheck: bootstrap ## Type-check every package with mypy (strict, pydantic plugin)
	$(UV) run mypy libs services tests conftest.py .ci bench devtools

pacts: bootstrap ## Re-record the consumers' pacts in contracts/pacts/ (after a consumer's needs of banking change)
	PACT_UPDATE=1 $(UV) run pytest services/ecommerce/tests/contract services/healthcare/tests/contract -p no:cacheprovider -q

fuzz: bootstrap ## Fuzz every service's OpenAPI longer than make test does (EXAMPLES=200 per operation, random seed)
	FUZZ_EXAMPLES=$(or $(EXAMPLES),200) FUZZ_RANDOM=1 $(UV) run pytest -m fuzz -p no:cacheprovider $(PYTEST_ARGS)

bench: bootstrap ## Run the benchmarks and print figures beside their baselines
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(UV) run python -m bench $(BENCH_ARGS)

bench-check: bootstrap ## Fail when a benchmark ratio regresses >10% vs bench/baseline.json with 95% confidence (SHORT=1: the CI run)
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(UV) run python -m bench.check $(if $(SHORT),--short) $(BENCH_ARGS)

load: bootstrap ## Each service's main journey under load (Locust) against a running estate: TARGET=local|compose|url [USERS=2] [SECONDS=20] [SERVICES=banking,ecommerce,healthcare]
	$(UV) run python -m bench.load --target $(or $(TARGET),local) --users $(or $(USERS),2) --seconds $(or $(SECONDS),20) $(if $(SERVICES),--services $(SERVICES))

LOCALSTACK := $(filter localstack,$(EMULATOR))
COMPOSE := docker compose -f docker-compose.yml $(if $(LOCALSTACK),-f docker-compose.localstack.yml) $(if $(TRACING),--profile tracing)
TRACE_ENV := $(if $(TRACING),OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318)
up: bootstrap ## Start the compose estate on 127.0.0.1 (moto built locally; EMULATOR=localstack for LocalStack; TRACING=1 adds Jaeger on :16686)
	@case "$(or $(EMULATOR),moto)" in moto|localstack) ;; *) echo "make up: EMULATOR=moto (default) or EMULATOR=localstack, not '$(EMULATOR)'"; exit 2;; esac
	@$(UV) run python -m devtools.compose_check $(if $(LOCALSTACK),--localstack) $(if $(TRACING),--tracing)
	$(TRACE_ENV) $(COMPOSE) up --build --wait -d
	@$(UV) run python -m devtools.seed
down: ## Stop the compose estate (same EMULATOR and TRACING as up)
	$(COMPOSE) down
seed: bootstrap ## Seed a running estate with the demo data, print its tokens and examples (default: this machine's ports; IDENTITY_URL= BANKING_URL= HEALTHCARE_URL= ECOMMERCE_URL= for a deployed one)
	@$(UV) run python -m devtools.seed $(if $(BANKING_URL),--logs "the stage's CloudWatch log groups")
logs: bootstrap ## Follow the estate's logs as readable lines: [REQUEST=<request or correlation id>] [TRACE=<trace id>] [ESTATE=compose] [FOLLOW=0]
	@$(UV) run python -m devtools.logs $(if $(REQUEST),--request $(REQUEST)) $(if $(TRACE),--trace $(TRACE)) $(if $(filter compose,$(ESTATE)),--compose) $(if $(filter 0,$(FOLLOW)),--no-follow)
queues: bootstrap ## The event queues of a running estate: depth, in flight, oldest message age, dead letters [ESTATE=compose]
	@$(UV) run python -m devtools.queues $(if $(filter compose,$(ESTATE)),--estate compose)
redrive: bootstrap ## Move a consumer queue's dead letters back once the cause is fixed: QUEUE=ecommerce-payments|healthcare-payments [ESTATE=compose]
	@test -n "$(QUEUE)" || { echo "make redrive: QUEUE=<a consumer queue, see make queues> is required"; exit 2; }
	@$(UV) run python -m devtools.queues --redrive $(QUEUE) $(if $(filter compose,$(ESTATE)),--estate compose)
package: bootstrap ## Build a Lambda zip in dist/: SERVICE=<a service> [ARCH=x86_64|arm64]
	@test -n "$(SERVICE)" || { echo "make package: SERVICE=<one of services/> is required"; exit 2; }
	$(UV) run python -m devtools.package $(SERVICE) --arch $(or $(ARCH),x86_64)

deploy: bootstrap ## Deploy one service with SAM: SERVICE=x STAGE=staging|prod [ARCH=] PARAMS="JwtIssuer=... JwksUrl=..." (checked before anything is built)
	@$(UV) run python -m devtools.deploy_check "$(SERVICE)" --stage "$(STAGE)" --params "$(PARAMS)"
	@$(MAKE) --no-print-directory package SERVICE=$(SERVICE) ARCH=$(or $(ARCH),x86_64)
	uvx --from aws-sam-cli sam deploy --template-file infra/sam/$(SERVICE).yaml \
	  --stack-name lift-$(STAGE)-$(SERVICE) --capabilities CAPABILITY_IAM --resolve-s3 \
	  --no-fail-on-empty-changeset \
	  --parameter-overrides Stage=$(STAGE) Architecture=$(or $(ARCH),x86_64) $(PARAMS)
deploy-mesh: bootstrap ## Create what the stage shares, once, before the service stacks: its event bus and Cloud Map namespace: STAGE=staging|prod
	@$(UV) run python -m devtools.deploy_check mesh --stage "$(STAGE)"
	uvx --from aws-sam-cli sam deploy --template-file infra/sam/mesh.yaml \
	  --stack-name lift-$(STAGE)-mesh --no-fail-on-empty-changeset --parameter-overrides Stage=$(STAGE)
new-service: bootstrap ## Generate a service from the copier template and register it: NAME=x
	@test -n "$(NAME)" || { echo "make new-service: NAME=<name> is required (lowercase letters and digits)"; exit 2; }
	@$(UV) run python -m devtools.new_service "$(NAME)"
	@$(UV) sync --all-packages --quiet

update-service: bootstrap ## Take later template changes into a generated service (copier update): NAME=x
	@test -n "$(NAME)" || { echo "make update-service: NAME=<name> is required"; exit 2; }
	@$(UV) run python -m devtools.new_service --update "$(NAME)"

token: bootstrap ## Mint a dev token from the running dev issuer: TENANT=acme SUB=alice ROLES=customer
	@LIFT_IDENTITY_URL=$${LIFT_IDENTITY_URL:-http://127.0.0.1:$${LIFT_IDENTITY_PORT:-8000}} $(UV) run python -m lift_core.devidentity token --tenant "$(or $(TENANT),acme)" --sub "$(or $(SUB),alice)" --roles "$(or $(ROLES),customer)"

clean: ## Remove the environment, caches and build output
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache dist build .lift
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
