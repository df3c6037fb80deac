# The commands of the README. Each installs what it needs (Debian's chromium; for the tests also postgresql and xvfb) when missing.
#   make demo   one real purchase, end to end, offline
#   make test   the whole test suite
#   make test-postgres  the worker's tests with the worker on PostgreSQL
#   make test-chromium  the browser tests again with the full chromium instead of the headless shell
#   make test-fast  the inner loop: Core, Storage, emulator and demo-shop tests without Chromium or child processes
#   make bench  the checkout benchmark (a few minutes; Release build), results in bench/
SHELL := /bin/bash
DOTNET ?= dotnet

.PHONY: demo test test-chromium test-fast test-postgres build chromium postgres xvfb bench

demo: chromium
	$(DOTNET) run --project src/CheckoutWorker -- demo

test: chromium postgres xvfb
	scripts/test.sh

test-chromium: chromium postgres xvfb
	Browser__ExecutablePath=/usr/bin/chromium $(DOTNET) test CheckoutAgent.sln --filter "TestCategory=Browser"

test-fast: postgres
	$(DOTNET) test tests/CheckoutAgent.Core.Tests
	$(DOTNET) test tests/CheckoutAgent.Storage.Tests
	$(DOTNET) test tests/LinkEmulator.Tests
	$(DOTNET) test tests/DemoMerchant.Tests --filter "TestCategory!=Browser"

# The whole worker suite with the worker on PostgreSQL (make test runs a storage-heavy part of it that way).
test-postgres: chromium postgres xvfb
	CHECKOUT_AGENT_TEST_STORAGE=postgres $(DOTNET) test tests/CheckoutWorker.Tests --filter "TestCategory!=SqliteOnly"

bench: chromium
	$(DOTNET) run -c Release --project src/CheckoutWorker -- bench --out bench/results.json

build:
	$(DOTNET) build CheckoutAgent.sln

chromium:
	scripts/ensure-chromium.sh

# The recipe-recording tests run a headed Chromium on a virtual display they start (Xvfb) when DISPLAY is not set.
xvfb:
	scripts/ensure-xvfb.sh

# The tests start their own throwaway PostgreSQL cluster from Debian's server binaries.
postgres:
	scripts/ensure-postgres.sh
