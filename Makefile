# make build    the programs, into $(BIN)
# make package  dist/redir_VERSION-1_ARCH.deb and dist/redir-VERSION-1.ARCH.rpm,
#               (nfpm, installed with go install into $(TOOLS) when missing)
# make lint     lintian and rpmlint on what make package built
#               (packaging/lintian-overrides, packaging/rpmlint.toml)
# make clean
#
# VERSION comes from the newest tag (v4.1.0 → 4.1.0; commits after it →
# 4.1.0+3.gSHA). Without a tag it is 4.0.0~gitN.SHA (N commits): above
# redir 3.3, which the package replaces, and below the first 4.0.0 tag.

GO      ?= $(shell command -v go || echo /usr/local/go/bin/go)
GOARCH  ?= $(shell $(GO) env GOARCH)
BIN     ?= bin
DIST    ?= dist
BUILD   ?= $(DIST)/build
TOOLS   ?= $(CURDIR)/bin/tools
RELEASE := 1
NFPM_VERSION := v2.45.2
NFPM    := $(TOOLS)/nfpm

GIT_DESCRIBE := $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null)
VERSION ?= $(if $(GIT_DESCRIBE),$(shell echo '$(GIT_DESCRIBE)' | sed -E 's/^v//; s/-([0-9]+)-g([0-9a-f]+)$$/+\1.g\2/'),4.0.0~git$(shell git rev-list --count HEAD 2>/dev/null || echo 0).$(shell git rev-parse --short HEAD 2>/dev/null || echo unknown))

LDFLAGS := -s -w -X main.version=$(VERSION)
GOBUILD := CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags "$(LDFLAGS)"

.PHONY: all build package lint clean version
all: build

version:
	@echo $(VERSION)

build:
	mkdir -p $(BIN)
	$(GOBUILD) -o $(BIN)/redir ./cmd/redir
	$(GOBUILD) -o $(BIN)/redir-generator ./cmd/redir-generator

$(NFPM):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

# nfpm runs in $(BUILD): the built files are there, and "src" links to
# this tree for the rest (nfpm does not expand variables in paths).
package: $(NFPM)
	rm -rf $(BUILD) && mkdir -p $(BUILD)/man $(BUILD)/doc
	$(MAKE) --no-print-directory build BIN=$(BUILD) VERSION=$(VERSION)
	ln -s $(CURDIR) $(BUILD)/src
	gzip -9nc packaging/redir.1 >$(BUILD)/man/redir.1.gz
	gzip -9nc packaging/redir.conf.5 >$(BUILD)/man/redir.conf.5.gz
	gzip -9nc README.md >$(BUILD)/doc/README.md.gz
	sed 's/@VERSION@/$(VERSION)-$(RELEASE)/' packaging/changelog.yml >$(BUILD)/changelog.yml
	rm -f $(DIST)/redir_*.deb $(DIST)/redir-*.rpm
	cd $(BUILD) && VERSION='$(VERSION)' RELEASE='$(RELEASE)' ARCH='$(GOARCH)' $(NFPM) package -f src/packaging/nfpm.yaml -p deb -t $(abspath $(DIST))/
	cd $(BUILD) && VERSION='$(VERSION)' RELEASE='$(RELEASE)' ARCH='$(GOARCH)' $(NFPM) package -f src/packaging/nfpm.yaml -p rpm -t $(abspath $(DIST))/

lint:
	lintian --fail-on warning --tag-display-limit 0 $(DIST)/redir_*.deb
	rpmlint -c packaging/rpmlint.toml $(DIST)/redir-*.rpm

clean:
	rm -rf $(BIN)/redir $(BIN)/redir-generator $(DIST)
