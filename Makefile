# scanfw build. `make test` is what CI runs (see .ci/run).
GO      ?= go
BIN     ?= scanfw
PROTOC  ?= protoc

.PHONY: build test test-short generate lint bench clean

build:
	$(GO) build -o $(BIN) ./cmd/scanfw

# The whole suite, race detector on. Lab tests need root and the packages of
# .ci/install-lab.sh; without them they skip (in CI, where CI=true, they fail).
# The lab packages share one lab (a lock serialises them), so they run one
# at a time: run side by side, each waited on the others' lock and its own
# timeout ran out while it waited.
test: lint
	$(GO) test -race -timeout 20m $$($(GO) list ./... | grep -v '/scanfw/lab')
	$(GO) test -race -timeout 20m -p 1 $$($(GO) list ./... | grep '/scanfw/lab')

test-short:
	$(GO) test -short ./...

# Regenerates the committed protobuf code. Needs protoc, protoc-gen-go and
# protoc-gen-go-grpc on PATH (go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
# and google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1).
generate:
	$(PROTOC) -I sdk/proto --go_out=sdk/proto --go_opt=paths=source_relative \
		--go-grpc_out=sdk/proto --go-grpc_opt=paths=source_relative \
		sdk/proto/scanfw/v1/plugin.proto

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); exit 1; }
	$(GO) vet ./...

bench: build
	bash bench/connect.sh

clean:
	rm -f $(BIN)

include lab/lab.mk
