# icscert — conformance and interoperability harness for the Child Record Exchange API.
# `make help` lists the targets.

GO            ?= go
BIN           ?= bin
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT ?= $(shell $(GO) env GOPATH)/bin/golangci-lint
TEST_FLAGS    ?= -count=1 -timeout 30m
export TESTCONTAINERS_RYUK_DISABLED := true

.PHONY: help build test test-long race lint lint-install demo calibrate serve bench fuzz clean

help: ## List the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/icscert (static, no cgo).
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/icscert ./cmd/icscert

# The long proofs: they run only with ICSCERT_LONG=1, which test-long sets (.ci/run runs it
# after test). Without it they are skipped, or (can-i-deploy, reruns) prove on fewer systems.
LONG_TESTS := ^(TestMatrixIsExact|TestContainerMatrixIsExact|TestSuiteIsExactInContainers|TestTargetFileNamingAnImage|TestCanIDeployEverySimulatedVersion|TestRerunsAgainstOnePersistentSystem)$$
LONG_PKGS  := ./internal/fleet/ ./cmd/icscert/ ./internal/interop/

test: ## Run every test but the long proofs (the README's test command).
	$(GO) test $(TEST_FLAGS) ./...

test-long: ## The long proofs: the whole interop matrix, calibration in containers, can-i-deploy for every version, five reruns.
	ICSCERT_LONG=1 $(GO) test $(TEST_FLAGS) -run '$(LONG_TESTS)' $(LONG_PKGS)

race: ## Run every test with the race detector.
	$(GO) test $(TEST_FLAGS) -race ./...

lint-install: ## Install the pinned golangci-lint through the Go module proxy.
	@test -x $(GOLANGCI_LINT) && $(GOLANGCI_LINT) version 2>/dev/null | grep -q "$(GOLANGCI_LINT_VERSION:v%=%)" || \
		$(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

lint: lint-install ## go vet and golangci-lint.
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

demo: build ## The national campaign on real runs (embedded registry on SQLite): certificates, pairs, deployment checks, readiness; summary printed, dashboard in out/dashboard.
	$(BIN)/icscert campaign --out out

calibrate: build ## Prove the suite on every simulated product, each in its own container (needs Docker).
	$(BIN)/icscert calibrate --containers --out out/calibrate

serve: build ## Run the reference server as a supplier's sandbox on :8080.
	@mkdir -p .cache
	$(BIN)/icscert serve --addr 127.0.0.1:8080 --db .cache/reference.db --seed 25

.PHONY: sims
SIM_IMAGE := icscert-sim:dev
sims: ## Build the static simulator binary (bin/sim/icscert) and the local image icscert-sim:dev; nothing is pulled.
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/sim/icscert ./cmd/icscert
	docker build --pull=false -t $(SIM_IMAGE) -f simulators/container/Dockerfile $(BIN)/sim

bench: ## Benchmarks (suite wall time and the harness's share).
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

fuzz: ## Run each fuzz target briefly (FUZZTIME, default 10s).
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-10s} $$pkg || exit 1; \
		done; \
	done

clean: ## Remove build output and reports.
	rm -rf $(BIN) out
