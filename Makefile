# The commands of the README. Each installs what it needs (Debian's chromium) when missing.
#   make demo   one real purchase, end to end, offline
#   make test   the whole test suite
#   make test-chromium  the browser tests again with the full chromium instead of the headless shell
#   make test-fast  the inner loop: Core, Storage, emulator and demo-shop tests without Chromium or child processes
#   make bench  the checkout benchmark (a few minutes; Release build), results in bench/
SHELL := /bin/bash
DOTNET ?= dotnet

.PHONY: demo test test-chromium test-fast build chromium bench

demo: chromium
	$(DOTNET) run --project src/CheckoutWorker -- demo

test: chromium
	scripts/test.sh

test-chromium: chromium
	Browser__ExecutablePath=/usr/bin/chromium $(DOTNET) test CheckoutAgent.sln --filter "TestCategory=Browser"

test-fast:
	$(DOTNET) test tests/CheckoutAgent.Core.Tests
	$(DOTNET) test tests/CheckoutAgent.Storage.Tests
	$(DOTNET) test tests/LinkEmulator.Tests
	$(DOTNET) test tests/DemoMerchant.Tests --filter "TestCategory!=Browser"

bench: chromium
	$(DOTNET) run -c Release --project src/CheckoutWorker -- bench --out bench/results.json

build:
	$(DOTNET) build CheckoutAgent.sln

chromium:
	scripts/ensure-chromium.sh
