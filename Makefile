# The two commands of the README. Each installs what it needs (Debian's chromium) when missing.
#   make demo   one real purchase, end to end, offline
#   make test   the whole test suite
SHELL := /bin/bash
DOTNET ?= dotnet

.PHONY: demo test build chromium

demo: chromium
	$(DOTNET) run --project src/CheckoutWorker -- demo

test: chromium
	scripts/test.sh

build:
	$(DOTNET) build CheckoutAgent.sln

chromium:
	scripts/ensure-chromium.sh
