# SCR Desk. The commands a newcomer needs: `make run`, `make check` (the fast loop) and
# `make test` (everything, as CI runs it).
BINARY  := build/scrdesk
VERSION := $(shell sed -n 's/^ *Version = "\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS := -X main.version=$(VERSION)
PREFIX  ?= $(HOME)/.local

.PHONY: run build check test bench install uninstall package windows deps clean

## run: install missing packages, build, and start SCR Desk in demo mode
run: build
	./$(BINARY) --demo

build:
	@scripts/deps.sh build
	go build -ldflags "$(LDFLAGS)" -o $(BINARY) .

## check: gofmt, vet and every test that needs no pcscd, keyring or display, cached (seconds warm)
check:
	scripts/check.sh

## test: install what the tests need and run them all (what CI runs), with stage timings
test:
	scripts/test.sh

## bench: speed and memory figures (start-up, card, audit log, Spine link, record)
bench:
	scripts/bench.sh

## install: binary, icons and .desktop entry for the current user
## (INSTALL_FROM=FILE installs that binary instead of building one; the install test uses it)
install: $(if $(INSTALL_FROM),,build)
	install -Dm755 $(or $(INSTALL_FROM),$(BINARY)) $(PREFIX)/bin/scrdesk
	for s in 16 32 48 64 128 256 512; do \
	  install -Dm644 assets/icon-$$s.png $(PREFIX)/share/icons/hicolor/$${s}x$${s}/apps/org.scrdesk.SCRDesk.png; done
	install -Dm644 assets/icon.svg $(PREFIX)/share/icons/hicolor/scalable/apps/org.scrdesk.SCRDesk.svg
	mkdir -p build
	sed 's|^Exec=scrdesk|Exec=$(PREFIX)/bin/scrdesk|' assets/org.scrdesk.SCRDesk.desktop > build/org.scrdesk.SCRDesk.desktop
	install -Dm644 build/org.scrdesk.SCRDesk.desktop $(PREFIX)/share/applications/org.scrdesk.SCRDesk.desktop
	install -Dm644 assets/org.scrdesk.SCRDesk.metainfo.xml $(PREFIX)/share/metainfo/org.scrdesk.SCRDesk.metainfo.xml
	-update-desktop-database $(PREFIX)/share/applications 2>/dev/null
	@echo "Installed: start SCR Desk from the applications menu, or run $(PREFIX)/bin/scrdesk"

uninstall:
	rm -f $(PREFIX)/bin/scrdesk $(PREFIX)/share/applications/org.scrdesk.SCRDesk.desktop \
	  $(PREFIX)/share/metainfo/org.scrdesk.SCRDesk.metainfo.xml \
	  $(PREFIX)/share/icons/hicolor/scalable/apps/org.scrdesk.SCRDesk.svg
	for s in 16 32 48 64 128 256 512; do rm -f $(PREFIX)/share/icons/hicolor/$${s}x$${s}/apps/org.scrdesk.SCRDesk.png; done
	-update-desktop-database $(PREFIX)/share/applications 2>/dev/null

## package: the release archive, made by the fyne tool (fyne.io/tools v1.7.0, pinned in
## scripts/fynetool) from FyneApp.toml
package:
	@scripts/deps.sh build
	cd scripts/fynetool && go build -o ../../build/fyne fyne.io/tools/cmd/fyne
	build/fyne package --os linux --release --name scrdesk
	@ls -l *.tar.xz

## windows: cross-build build/scrdesk.exe with mingw-w64 and the installer build/scrdesk.msi (wixl)
windows:
	@scripts/deps.sh test
	scripts/windows.sh

deps:
	scripts/deps.sh test

clean:
	rm -rf build *.tar.xz
