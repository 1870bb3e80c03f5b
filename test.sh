#!/usr/bin/env bash
# Runs the whole test suite: formatting, vet, and every test with the race
# detector, the integration tests against a local moto_server (SQS/SNS
# compatible) that scripts/with-moto starts on 127.0.0.1 and stops after.
set -euo pipefail
cd "$(dirname "$0")"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race (with moto_server on 127.0.0.1)"
scripts/with-moto go test -race -count=1 ./...

echo "== scripts/faults --short (at-least-once under faults)" && scripts/faults --short
