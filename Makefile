# Pingan — the project's vocabulary: demo test bench lint fmt migrate messages
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VENDOR := web/static/vendor
export PINGAN_EMBEDDED ?= 1

.PHONY: demo test bench lint fmt migrate messages install assets clean

demo: install assets
	$(BIN)/pingan demo

test: install assets
	$(BIN)/pytest -m "not postgres"
	@if [ -n "$$PINGAN_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$PINGAN_TEST_DATABASE_URL) =="; \
		DATABASE_URL="$$PINGAN_TEST_DATABASE_URL" $(BIN)/pytest -m "not browser"; \
	else \
		echo "PINGAN_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; \
	fi

bench: install
	$(BIN)/pingan bench locate --grids 86000
	$(BIN)/pingan bench crowd
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		$(BIN)/pingan bench intake && $(BIN)/pingan bench crash; \
	else \
		echo "no PostgreSQL on 127.0.0.1:5432: pingan bench intake and crash skipped"; \
	fi

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pingan makemigrations --check --dry-run

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: install
	$(BIN)/pingan migrate

# Rebuild the translation catalogues from the sources (needs GNU gettext's xgettext).
messages: install
	$(BIN)/pingan makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var
	$(BIN)/python -m pingan.i18n compile

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

assets: $(VENDOR)/.built

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(VENDOR)/.built: node_modules/.installed
	mkdir -p $(VENDOR)/leaflet $(VENDOR)/echarts $(VENDOR)/htmx $(VENDOR)/alpinejs
	cp -R node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
		node_modules/leaflet/dist/images node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE $(VENDOR)/echarts/
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp node_modules/alpinejs/dist/cdn.min.js $(VENDOR)/alpinejs/alpine.min.js
	touch $@

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
