#!/usr/bin/env bash
# Runs the whole test suite: formatting, vet, and every test with the race
# detector, the integration tests against a local moto_server (SQS/SNS
# compatible) that scripts/with-moto starts on 127.0.0.1 and stops after.
#
# Needs Go and Python 3. What else it needs it installs when missing, and
# says so:
#   - moto's server (pip install 'moto[server]'), into a virtual
#     environment under ${XDG_CACHE_HOME:-~/.cache}/sqs-mega-go unless
#     moto_server is on PATH or MOTO_SERVER names it;
#   - the AWS Lambda Runtime Interface Emulator (go install), when a test
#     uses it; its path is exported as MEGA_TEST_RIE.
#
# A full run takes about 3.5 minutes on two cores once the build cache is
# warm (the first run also compiles everything); the script prints how
# long it took.
set -euo pipefail
cd "$(dirname "$0")"
start=$SECONDS

say() { echo "test.sh: $*" >&2; }

# moto_server: the one on PATH, MOTO_SERVER, or our own.
moto_version=5.2.1
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sqs-mega-go
if [[ -z ${MOTO_SERVER:-} ]] && ! command -v moto_server >/dev/null 2>&1; then
	venv=$cache/moto-$moto_version
	if [[ ! -x $venv/bin/moto_server ]]; then
		command -v python3 >/dev/null 2>&1 || { say "python3 is needed (for moto_server): install Python 3 with pip"; exit 1; }
		say "moto_server not found: installing moto[server]==$moto_version with pip into $venv"
		rm -rf "$venv"
		python3 -m venv "$venv" ||
			{ say "python3 -m venv failed (on Debian and Ubuntu: apt-get install python3-venv)"; exit 1; }
		"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$moto_version" ||
			{ rm -rf "$venv"; say "pip install 'moto[server]' failed"; exit 1; }
	fi
	export MOTO_SERVER=$venv/bin/moto_server
fi

# The Lambda Runtime Interface Emulator, for the tests that run a Lambda
# handler in it.
rie_module=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
rie_version=v0.0.0-20261030222936-bef5c4ba774d
if grep -rqs --include='*_test.go' MEGA_TEST_RIE .; then
	if [[ -z ${MEGA_TEST_RIE:-} ]]; then
		gobin=$(go env GOBIN)
		gobin=${gobin:-$(go env GOPATH)/bin}
		if command -v aws-lambda-rie >/dev/null 2>&1; then
			MEGA_TEST_RIE=$(command -v aws-lambda-rie)
		elif [[ -x $gobin/aws-lambda-rie ]]; then
			MEGA_TEST_RIE=$gobin/aws-lambda-rie
		else
			say "aws-lambda-rie not found: installing $rie_module@$rie_version with go install into $gobin"
			go install "$rie_module@$rie_version"
			MEGA_TEST_RIE=$gobin/aws-lambda-rie
		fi
	fi
	export MEGA_TEST_RIE PATH=$(dirname "$MEGA_TEST_RIE"):$PATH
	say "Lambda emulator: $MEGA_TEST_RIE"
fi

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

elapsed=$((SECONDS - start))
say "all passed in $((elapsed / 60))m$((elapsed % 60))s"
