# loraedge — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin/loraedge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 60s

.PHONY: all build run test bench fuzz lint vet fmt clean
.PHONY: deb image test-packaging

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/loraedge

## run: the main job on this machine (see README.md).
run: build
	./scripts/run.sh $(BIN)

## test: vet, then every test (real TLS, websockets, bbolt, MQTT on 127.0.0.1).
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 15m ./...

## bench: the benchmarks behind docs/PERFORMANCE.md.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

## fuzz: every go fuzz target for FUZZTIME each, one after the other.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

## lint: formatting and vet.
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## deb: the .debs in out/deb: loraedge (the program; amd64, arm64, armhf), loraedge-agent
## and loraedge-cloud (the services; all); see README.md, "Installing".
deb:
	GO=$(GO) ./scripts/package.sh deb

## image: the cloud's OCI image (index of linux/amd64 and linux/arm64) in out/image.
image:
	GO=$(GO) ./scripts/package.sh image

## test-packaging: builds and checks the .debs and the image; as root it also installs,
## upgrades and purges the loraedge packages on this machine and runs the image under podman.
test-packaging:
	GO=$(GO) ./scripts/test-packaging.sh

clean:
	rm -rf bin out
