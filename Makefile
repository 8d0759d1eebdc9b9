# GoodGo — make targets. `make run` starts a working POS; `make test` is what CI runs.
SHELL := /bin/bash
GO ?= go
SQLC ?= $(shell command -v sqlc 2>/dev/null || echo $(HOME)/go/bin/sqlc)
SQLC_VERSION := v1.31.1
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/goodgo/goodgo/internal/app.Version=$(VERSION)
HAVE_NPM := $(shell command -v npm 2>/dev/null)
FUZZTIME ?= 5s

.PHONY: run build web test test-go test-web test-e2e fuzz fuzz-long bench sqlc lint clean k8s ops-check

## run: build the web app (when Node is installed) and start GoodGo with demo data on http://localhost:8080
run: web
	GOODGO_DEMO=true $(GO) run ./cmd/goodgo serve

## build: web app + static binary in bin/goodgo
build: web
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/goodgo ./cmd/goodgo

## web: build the Svelte app into web/dist (skipped without npm; the binary then serves a placeholder page)
web:
ifdef HAVE_NPM
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund && npm run build
else
	@echo "npm not found: skipping the web app (the server shows a placeholder page)"
endif

## test: everything CI checks — formatting, vet, Go tests, web checks and build, browser tests, short fuzz runs
test: lint ops-check test-go test-web test-e2e fuzz test-faults

test-go:
	$(GO) test -race -count=1 ./...

## test-web: type check, unit tests, production build and the bundle budgets (prints gzip sizes per screen)
test-web:
ifdef HAVE_NPM
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund && npm run check && npm test && npm run build && npm run size
else
	@echo "npm not found: skipping the web checks"
endif

## test-e2e: Playwright drives Debian's Chromium against the real server (built after test-web, so dist is embedded)
CHROMIUM_PATH ?= /usr/bin/chromium
test-e2e: test-web
ifdef HAVE_NPM
	@test -x "$(CHROMIUM_PATH)" || { echo "Chromium not found at $(CHROMIUM_PATH): apt-get install chromium"; exit 1; }
	cd web && CHROMIUM_PATH=$(CHROMIUM_PATH) GO=$(GO) npx playwright test
else
	@echo "npm not found: skipping the browser tests"
endif

## fuzz: run every fuzz target for FUZZTIME (5s by default; `make fuzz-long` runs 2 minutes each)
fuzz:
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' internal cmd web 2>/dev/null | while read -r file; do \
	  dir=./$$(dirname $$file); \
	  for f in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$file | cut -d' ' -f2); do \
	    echo "fuzz $$dir $$f ($(FUZZTIME))"; \
	    out=$$($(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$dir 2>&1) && { echo "$$out" | tail -n 2; continue; }; \
	    echo "$$out"; \
	    if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
	      echo "the fuzz coordinator timed out without a failing input (a Go fuzzing flake): running $$f once more"; \
	      $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$dir || exit 1; \
	    else exit 1; fi; \
	  done; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=2m

## test-faults: the fault suite (internal/faults, build tag faults) against the real binary: kill -9 of GoodGo and
## of a private PostgreSQL under order and payment traffic, NATS/RabbitMQ outages, a slow and resetting database
## link, a stuck SSE client, a reconnect storm of 1,000 SSE clients, hostile input. About 3 minutes on 2 cores.
.PHONY: test-faults
test-faults:
	$(GO) test -tags faults -count=1 -timeout 10m -v ./internal/faults/

## bench: the foundation's benchmarks (figures recorded in docs/en/performance.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/platform/...

## loadgen-smoke: a short load test (LOADGEN_ARGS) against a fresh server it builds and starts on LOADGEN_PORT
LOADGEN_PORT ?= 18089
LOADGEN_ARGS ?= --terminals 20 --duration 20s --think 0
.PHONY: loadgen-smoke
loadgen-smoke:
	@set -e; dir=$$(mktemp -d); pid=; trap 'test -z "$$pid" || { kill $$pid; wait $$pid || true; }; rm -rf $$dir' EXIT; \
	$(GO) build -o $$dir/goodgo ./cmd/goodgo; \
	GOODGO_DATA_DIR=$$dir/data GOODGO_HTTP_ADDR=127.0.0.1:$(LOADGEN_PORT) GOODGO_PUBLIC_URL=http://127.0.0.1:$(LOADGEN_PORT) \
	  GOODGO_RATELIMIT_EXEMPT_CIDRS=127.0.0.1/32 GOODGO_LOG_LEVEL=warn $$dir/goodgo serve & pid=$$!; \
	for i in $$(seq 1 150); do curl -sf http://127.0.0.1:$(LOADGEN_PORT)/health/ready >/dev/null && break; sleep 0.2; done; \
	$$dir/goodgo loadgen --url http://127.0.0.1:$(LOADGEN_PORT) $(LOADGEN_ARGS)

## sqlc: regenerate the typed SQL code (installs sqlc $(SQLC_VERSION) when missing; its build takes minutes)
sqlc:
	@test -x "$(SQLC)" || CGO_ENABLED=1 $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)
	$(SQLC) generate

## lint: gofmt and go vet must be clean
lint:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/node_modules/*')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## k8s: render the Kubernetes manifests (deploy/kubernetes/rendered/<env>.yaml) from deploy/kubernetes/base and
## the environment overlays; commit the result (CI checks it is up to date)
k8s:
	$(GO) run ./deploy/cmd/render

## ops-check: the deployment checks that need tools (.ci/run installs them): rendered manifests up to date,
## promtool on the alert rules, actionlint on the workflows, shellcheck on the scripts. The other deployment
## tests (manifest promises, routing, deploy.sh, backups, smoke) run with the Go tests.
ops-check:
	$(GO) run ./deploy/cmd/render -check
	GOODGO_REQUIRE_OPS_TOOLS=1 $(GO) test -count=1 -run 'UpToDate|Promtool|Actionlint|Shellcheck' ./deploy/

clean:
	rm -rf bin web/dist/assets web/dist/index.html
