# siogen — developer commands. `make test` is what CI runs.
GO ?= go

.PHONY: test gotest interop vet fuzz bench run

## test: everything — vet, Go tests with -race, and the interop tests against the official npm packages
test: vet gotest interop

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

gotest:
	$(GO) test -race -count=1 ./...

## interop: installs the npm packages from the lockfile, then runs node's test runner
interop:
	@if [ -f interop/package.json ]; then \
		cd interop && npm ci --no-audit --no-fund --loglevel=error && npm test; \
	fi

## fuzz: each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./engineio -run='^$$' -fuzz=FuzzDecodePayload -fuzztime=$(FUZZTIME)
	$(GO) test ./engineio -run='^$$' -fuzz=FuzzDecodePacket -fuzztime=$(FUZZTIME)

bench:
	$(GO) test ./... -run='^$$' -bench=. -benchmem

run:
	$(GO) run ./examples/conformance
