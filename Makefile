# Helpline. `make run` runs everything embedded; `make test` runs the whole
# suite (vet, race tests) against a throwaway PostgreSQL it starts and stops.
GO ?= go

.PHONY: run test vet fmt bench bench-all profile-webhook profile-crisis writes fuzz build cluster loadtest loadtest-embedded drills

run:
	$(GO) run ./cmd/helpline run

build:
	$(GO) build -o bin/helpline ./cmd/helpline

# go vet runs beside the tests, not before them: in a fresh clone it
# compiles every package again without -race (about 170 s of CPU), and the
# race tests leave much of the two cores idle while they wait on servers,
# browsers and each other. Either failing fails the target.
test:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./... & vet=$$!; \
	./.ci/with-postgres $(GO) test -race -count=1 -timeout 15m ./...; tests=$$?; \
	wait $$vet || { echo "go vet ./... failed"; exit 1; }; exit $$tests

# Issue 17's figures in one table: each beside its baseline measured in
# the same run, their ratio, the machine and its load (loadtest/benchtable);
# the benchmarks' own output goes to loadtest/results/. Benchmarks are
# noisy on a shared machine: read the ratios. WEBHOOKS, PAGES, TRIAGE set the
# iterations; bench-all runs every benchmark of the module instead.
bench:
	@mkdir -p loadtest/results; out=loadtest/results/bench-$$(date -u +%Y%m%dT%H%M%SZ).txt; \
	load=$$(cut -d' ' -f1 /proc/loadavg); \
	{ $(GO) test -run '^$$' -bench WebhookVsRaw -benchtime $${WEBHOOKS:-1000x} ./services/ingestion/; \
	  $(GO) test -run '^$$' -bench CrisisToPage -benchtime $${PAGES:-50x} -timeout 30m ./loadtest/; \
	  $(GO) test -run '^$$' -bench TriageCachedVsWhole -benchtime $${TRIAGE:-64x} ./services/triage/; \
	  $(GO) test -run '^$$' -bench ClassifyVsRegexBaseline ./services/triage/lexicon/; } > $$out 2>&1; \
	$(GO) run ./loadtest/cmd/benchtable -load-before "$$load" < $$out; echo; echo "benchmarks' output: $$out"

bench-all:
	./.ci/with-postgres $(GO) test -run '^$$' -bench . -benchtime 2s ./...

# The webhook path's CPU and blocking profiles (BenchmarkWebhookVsRaw, 16
# senders), then the top of each: see loadtest/README.md.
profile-webhook:
	$(GO) test -run '^$$' -bench 'WebhookVsRaw/workers=16' -benchtime 2000x -cpuprofile /tmp/webhook.cpu -blockprofile /tmp/webhook.block -o /tmp/ingestion.test ./services/ingestion/
	$(GO) tool pprof -top -cum -nodecount 40 /tmp/ingestion.test /tmp/webhook.cpu
	$(GO) tool pprof -top -nodecount 20 /tmp/ingestion.test /tmp/webhook.block

# The crisis path's CPU and blocking profiles under RATE (default 500)
# background texts a second (BenchmarkCrisisToPage, the shipped
# composition embedded), then the top of each: see loadtest/README.md.
profile-crisis:
	$(GO) test -run '^$$' -bench "CrisisToPage/background=$${RATE:-500}_" -benchtime 10x -cpuprofile /tmp/crisis.cpu -blockprofile /tmp/crisis.block -o /tmp/loadtest.test ./loadtest/
	$(GO) tool pprof -top -cum -nodecount 50 /tmp/loadtest.test /tmp/crisis.cpu
	$(GO) tool pprof -top -nodecount 25 /tmp/loadtest.test /tmp/crisis.block

# The classifier's CPU and allocation profiles (BenchmarkClassify/short, one
# core; BENCH=ClassifyVsRegexBaseline for the other), then the top of each;
# instructions per message under cachegrind: services/triage/lexicon/doc.go,
# Speed (issue 12).
profile-classify:
	$(GO) test -run '^$$' -bench "$${BENCH:-Classify\$$/short}" -benchtime 3s -cpu 1 -cpuprofile /tmp/classify.cpu -memprofile /tmp/classify.mem -o /tmp/lexicon.test ./services/triage/lexicon/
	$(GO) tool pprof -top -cum -nodecount 40 /tmp/lexicon.test /tmp/classify.cpu
	$(GO) tool pprof -top -sample_index=alloc_space -nodecount 15 /tmp/lexicon.test /tmp/classify.mem

# What the log stores per ordinary text, first texts and returning ones,
# stream by stream (each stored message is one fsync): TestWritesPerMessage.
writes:
	HELPLINE_LOAD_WRITES=$${N:-500} $(GO) test -count=1 -run TestWritesPerMessage -v ./loadtest/

fmt:
	gofmt -w .

# The distributed shape as processes on loopback (no container engine).
cluster:
	deploy/local-cluster

# Open-loop load sweep against that shape; results in loadtest/results/.
loadtest:
	./.ci/with-postgres $(GO) run ./loadtest/cmd/loadgen -rates $${RATES:-30,40,50,60,70,80} -duration $${DURATION:-20s}

# The same sweep against one `helpline run` process (embedded NATS, memory
# projections: what the README's first command starts); no database.
loadtest-embedded:
	$(GO) run ./loadtest/cmd/loadgen -embedded -rates $${RATES:-100,200,300,400,500} -duration $${DURATION:-20s}

# Fault drills under steady load: kill -9 each service and a NATS node.
drills:
	./.ci/with-postgres $(GO) run ./loadtest/cmd/drill -rate $${RATE:-30}
