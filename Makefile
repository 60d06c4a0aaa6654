# siogen — developer commands. `make test` is what CI runs.
GO ?= go
# A linter run through the module proxy (`go run pkg@version`): not a
# dependency of any module here.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
NODE_MODULES := $(CURDIR)/interop/node_modules

# Go tests that talk to the official npm servers find them here.
export SIOGEN_EIO_NODE_SERVER := $(CURDIR)/engineio/testdata/echo-server.cjs
export SIOGEN_SIO_NODE_SERVER := $(CURDIR)/runtime/socketio/testdata/sio-server.cjs
export SIOGEN_EIO_NODE_MODULES := $(NODE_MODULES)
export SIOGEN_SIO_NODE_MODULES := $(NODE_MODULES)

.PHONY: test npm vet generate-check gotest loadtest interop fuzz bench run chat

## test: everything — npm packages, vet and staticcheck, Go tests with -race, interop tests
test: npm vet generate-check gotest loadtest interop

## npm: installs the official npm packages the tests run against, from the lockfile
npm:
	cd interop && npm ci --no-audit --no-fund --loglevel=error
	cd interop/tsc && npm ci --no-audit --no-fund --loglevel=error
	cd interop/browser && npm ci --no-audit --no-fund --loglevel=error
	cd examples/chat/web && npm ci --no-audit --no-fund --loglevel=error

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	cd bench && $(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd bench && $(GO) run $(STATICCHECK) ./...

## loadtest: 10k WebSocket connections with churn, back to baseline; 1k readers with slow consumers (not under -race: it caps goroutines at 8128); allocation counts of pooled paths (not under -race: its sync.Pool drops items at random)
loadtest:
	$(GO) test -count=1 -run 'TestLoad10k|TestSlowConsumers|TestEmitAllocations' -v ./runtime/socketio

## generate-check: go generate ./... must reproduce the committed generated code
## (and the chat example's TypeScript types and esbuild bundle; needs make npm)
GENERATED := generated testdata/golden examples/chat/web/src/chat.sio.ts examples/chat/web/dist
generate-check:
	$(GO) generate ./...
	@git diff --exit-code --stat -- $(GENERATED) || { echo "generated code is stale: run go generate ./... and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- $(GENERATED))" || { echo "go generate made new files:"; git status --porcelain -- $(GENERATED); exit 1; }

## gotest: every package with -race (engineio twice: its WebSocket handshakes through net/http, then
## through an engineio.Listener), engineio once more without -race (its raw system calls, which the
## race detector's build replaces with regular ones: engineio/sysio.go), and the benchmark harness's
## own tests (bench/ is a module of its own)
gotest:
	$(GO) test -race -count=1 ./...
	$(GO) test -race -count=1 ./engineio -listener
	$(GO) test -count=1 ./engineio -listener
	cd bench && $(GO) test -race -count=1 ./...

## interop: the official npm packages against our server (Engine.IO and Socket.IO tests twice: WebSocket
## handshakes through engineio.Listener, then through net/http); tsc --strict and @asyncapi/parser on generated output;
## the chat example's page (tsc --strict) and its test in headless Chromium (interop/browser)
interop:
	cd interop && npm test
	cd interop && npm run --silent test:nethttp
	cd interop/tsc && npm test
	cd examples/chat/web && npm run --silent typecheck
	cd interop/browser && npm test

## fuzz: each fuzz target for FUZZTIME (default 30s); a new input is
## minimized for at most FUZZMINIMIZETIME (Go's default, 60s, stalls the
## live-server target, whose inputs are slow, for most of a short run)
FUZZTIME ?= 30s
FUZZMINIMIZETIME ?= 5s
FUZZ_TARGETS := engineio:FuzzDecodePayload engineio:FuzzDecodePacket engineio:FuzzWebSocketFrames engineio:FuzzQueryValue engineio:FuzzParseHead \
	runtime/parser:FuzzJSONDecode runtime/parser:FuzzJSONAttachments runtime/parser:FuzzMsgpackDecode runtime/parser:FuzzTranscode runtime/parser:FuzzJSONString \
	schema:FuzzParse schema:FuzzParseConfig \
	runtime/socketio:FuzzLiveServer runtime/socketio:FuzzRecoveryConnect generated/types:FuzzGeneratedPayload generated/types:FuzzReadJSON generated/events:FuzzReaders
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$pkg $$fn"; $(GO) test ./$$pkg -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZETIME) -parallel=1 || exit 1; done

bench:
	$(GO) test ./... -run='^$$' -bench=. -benchmem

run:
	$(GO) run ./examples/conformance

## chat: the chat example on :8080
chat:
	$(GO) run ./examples/chat
