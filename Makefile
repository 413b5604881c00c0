# flowdb: build the BPF programs, their skeleton, the tools and the tests.
# Outputs go to build/. `make V=1` shows full commands.

BUILD := build
PREFIX ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -MMD -MP
# Include paths are per folder (INC, below): a folder sees only what it may use.
CPPFLAGS += -D_GNU_SOURCE -DFLOWDB_VERSION='"$(VERSION)"'
BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -MMD -MP -D__TARGET_ARCH_$(ARCH) \
	-Ibpf -idirafter /usr/include/$(MULTIARCH)

LIBBPF_LIBS := -lbpf -lelf -lz

DEBIAN_PACKAGES := clang llvm libbpf-dev libelf-dev zlib1g-dev libsqlite3-dev sqlite3 \
	libreadline-dev libcmocka-dev libssl-dev bpftool iproute2 iputils-ping tcpreplay tshark python3 pkg-config make \
	curl libclang-rt-dev openssl procps xdp-tools iperf3 libcurl4-openssl-dev nmap hping3 \
	clickhouse-server clickhouse-client nfdump pmacct softflowd

# Object lists per folder. The binaries link the folders they may use, and only
# those: the shell needs neither libbpf nor anything of the collector.
# The helpers every binary links: common/ includes nothing from other folders.
# They are an archive, so that each program takes only the modules it calls:
# chttp.o (libcurl) goes into the shell and the shipper, not into flowdb-ctl.
# It ends every link line that takes it.
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard common/*.c))
COMMON_LIB := $(BUILD)/libcommon.a
# The payload inspectors: a dispatcher and one file per protocol.
INSPECT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard inspect/*.c))
# The policy file, the control socket's server and what acts on rules: linked
# into the collector (and so into its tests and tools).
POLICY_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard policy/*.c))
# The IPFIX exporter (--ipfix): the encoder and the sending worker, linked
# into the collector like policy/.
EXPORT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard export/*.c))
# flowdb-ctl: ctl/ and common/ only.
CTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard ctl/*.c))
# Every collector module but main.c is linked into the daemon and the unit
# tests alike; a new collector/x.c or tests/unit/test_x.c needs no edit here.
COLLECTOR_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out collector/main.c,\
	$(wildcard collector/*.c))) $(POLICY_OBJS) $(EXPORT_OBJS) $(INSPECT_OBJS) \
	$(BUILD)/obj/schema/schema_sql.o $(COMMON_LIB)
TRACKER_OBJS := $(BUILD)/obj/collector/tracker.o
PKT_OBJS := $(BUILD)/obj/tests/lib/pktbuild.o $(BUILD)/obj/tests/lib/pcapw.o
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
# test_inspect takes every protocol's file of tests/unit/inspect/, and links the
# inspectors and common/ only.
INSPECT_TEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/unit/inspect/*.c))
# libcrypto: the inspectors decrypt QUIC Initial packets (inspect/quic.c) and hash
# JA4 fingerprints (inspect/tls.c); every binary linking INSPECT_OBJS takes it.
INSPECT_LIBS := -lcrypto
# libcurl: the webhook sink (policy/sink.c); libm: the anomaly baselines.
COLLECTOR_LIBS := $(LIBBPF_LIBS) -lsqlite3 -lcurl -lpthread -lm $(INSPECT_LIBS)
# The shell links SQLite, readline and libcurl (flowdb --clickhouse, through
# common/chttp) only: an analyst's workstation needs no libbpf.
# tests/unit/test_sh_*.c link with these objects.
SH_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out shell/main.c,$(wildcard shell/*.c))) \
	$(BUILD)/obj/shell/queries_sql.o $(BUILD)/obj/schema/schema_sql.o $(COMMON_LIB)
SH_LIBS := -lsqlite3 -lreadline -lcurl -lm -lpthread
QUERY_FILES := $(sort $(wildcard shell/queries/*.sql))
# Their ClickHouse versions follow them (flowdb --clickhouse): queries.h.
CH_QUERY_FILES := $(sort $(wildcard shell/queries/clickhouse/*.sql))
# flowdb-ship: ship/ and common/, the fleet schema embedded; SQLite to read
# the files, libcurl to reach ClickHouse.
SHIP_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard ship/*.c)) \
	$(BUILD)/obj/schema/clickhouse_sql.o $(COMMON_LIB)
SHIP_LIBS := -lsqlite3 -lcurl

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all deps demo test test-unit test-unit-san test-fuzz fuzz fuzz-sql test-integration bench clean \
	install

all: $(BUILD)/flowdb-collector $(BUILD)/flowdb $(BUILD)/flowdb-ctl $(BUILD)/flowdb-ship $(BUILD)/tests/ctlserve $(UNIT_TESTS) $(BUILD)/tests/pcapgen $(BUILD)/tests/flowtrack \
	$(BUILD)/tests/inspectfile \
	$(BUILD)/tests/flowgen $(BUILD)/tests/sinkdrive

# --- BPF -------------------------------------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- user space -------------------------------------------------------------
# What each folder may include. Its sources compile with the include paths of
# those folders and of no other, so that a shell file including a collector
# header, or an inspector including a BPF one, does not compile:
#   common/     common/ only (and the system's headers)
#   inspect/    inspect/, common/
#   collector/  collector/, inspect/, bpf/ (the types shared with the kernel),
#               policy/ (the rule set the tracker loads), common/, and the
#               generated skeleton in build/
#   shell/      shell/, common/ (and SQLite, readline)
#   policy/     policy/, the collector's (its stages' headers), inspect/, bpf/,
#               common/; of collector/ only main.c includes policy/
#   export/     export/ and what policy/ may; of collector/ only main.c
#               includes export/
#   ctl/        ctl/, common/ (the control socket's messages are in common/)
#   ship/       ship/, common/ (and SQLite, libcurl)
# Tests and tools include as what they test: tests/unit/test_sh_*.c as the
# shell, test_inspect.c and tests/unit/inspect/ as the inspectors, the others
# (and bench/) as the collector, with tests/lib/. A new folder needs its line
# here; until then its sources see no project header.
COMMON_INC := -Icommon
INSPECT_INC := -Iinspect $(COMMON_INC)
COLLECTOR_INC := -Icollector -Ibpf -Ipolicy -I$(BUILD) $(INSPECT_INC)
SH_INC := -Ishell $(COMMON_INC)
POLICY_INC := -Ipolicy $(COLLECTOR_INC)
EXPORT_INC := -Iexport $(COLLECTOR_INC)
CTL_INC := -Ictl $(COMMON_INC)
SHIP_INC := -Iship $(COMMON_INC)
# Objects for the sanitizer builds, below, have the same rules.
SAN := $(BUILD)/san
OBJ_DIRS := $(BUILD)/obj $(SAN)/obj

$(addsuffix /common/%.o,$(OBJ_DIRS)): INC := $(COMMON_INC)
$(addsuffix /inspect/%.o,$(OBJ_DIRS)): INC := $(INSPECT_INC)
$(addsuffix /collector/%.o,$(OBJ_DIRS)): INC := $(COLLECTOR_INC)
$(addsuffix /shell/%.o,$(OBJ_DIRS)): INC := $(SH_INC)
$(addsuffix /policy/%.o,$(OBJ_DIRS)): INC := $(POLICY_INC)
$(addsuffix /export/%.o,$(OBJ_DIRS)): INC := $(EXPORT_INC)
$(addsuffix /collector/main.o,$(OBJ_DIRS)): INC := $(POLICY_INC) -Iexport
$(addsuffix /tests/unit/test_policy.o,$(OBJ_DIRS)): INC := $(POLICY_INC) -Itests/lib
$(addsuffix /ctl/%.o,$(OBJ_DIRS)): INC := $(CTL_INC)
$(addsuffix /ship/%.o,$(OBJ_DIRS)): INC := $(SHIP_INC)
$(addsuffix /tests/%.o,$(OBJ_DIRS)) $(addsuffix /bench/%.o,$(OBJ_DIRS)): \
	INC := $(POLICY_INC) -Itests/lib
$(addsuffix /tests/unit/test_sh_%.o,$(OBJ_DIRS)): INC := $(SH_INC)
$(addsuffix /tests/unit/test_ipfix.o,$(OBJ_DIRS)): INC := $(EXPORT_INC) -Itests/lib
# The streams' tests take the QUIC test vectors of the inspectors' tests.
$(addsuffix /tests/unit/test_streams.o,$(OBJ_DIRS)): INC := $(POLICY_INC) -Itests/lib \
	-Itests/unit/inspect
$(addsuffix /tests/unit/test_inspect.o,$(OBJ_DIRS)) \
	$(addsuffix /tests/unit/inspect/%.o,$(OBJ_DIRS)): INC := $(INSPECT_INC) -Itests/unit/inspect

# Only what includes the skeleton waits for it (and names it here), so that the
# shell builds without BPF tools.
$(addsuffix /collector/tracker.o,$(OBJ_DIRS)): | $(BUILD)/flowdb.skel.h

$(BUILD)/obj/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(INC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

# The schema is embedded in the binary: one source of truth, schema/*.sql.
$(BUILD)/obj/schema/schema_sql.o: schema/schema_sql.S schema/flowdb.sql
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c $< -o $@

$(BUILD)/obj/schema/clickhouse_sql.o: schema/clickhouse_sql.S schema/clickhouse.sql
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c $< -o $@

$(BUILD)/flowdb-ship: $(SHIP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(SHIP_LIBS)

$(BUILD)/flowdb-collector: $(BUILD)/obj/collector/main.o $(COLLECTOR_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(COLLECTOR_LIBS)

# The control socket's client: ctl/ and common/, nothing else.
$(BUILD)/flowdb-ctl: $(CTL_OBJS) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# The canned queries are embedded too: shell/queries/*.sql, one after another.
$(BUILD)/queries.sql: $(QUERY_FILES) $(CH_QUERY_FILES)
	$(call msg,GEN,$@)
	$(Q)cat $^ > $@

$(BUILD)/obj/shell/queries_sql.o: shell/queries_sql.S $(BUILD)/queries.sql
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -I$(BUILD) -c $< -o $@

$(BUILD)/flowdb: $(BUILD)/obj/shell/main.o $(SH_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(SH_LIBS)

$(BUILD)/tests/test_sh_%: $(BUILD)/obj/tests/unit/test_sh_%.o $(SH_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(SH_LIBS) -lcmocka

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(PKT_OBJS) $(COLLECTOR_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(COLLECTOR_LIBS) -lcmocka

# The inspectors stand on their own: their tests link them and common/ only.
$(BUILD)/tests/test_inspect: $(BUILD)/obj/tests/unit/test_inspect.o $(INSPECT_TEST_OBJS) \
	$(INSPECT_OBJS) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(INSPECT_LIBS) -lcmocka

# Prints what the inspectors make of payload files (tests/integration/ja4_ref.sh): the
# inspectors and common/ only.
$(BUILD)/tests/inspectfile: $(BUILD)/obj/tests/tools/inspectfile.o $(INSPECT_OBJS) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(INSPECT_LIBS)

$(BUILD)/tests/pcapgen: $(BUILD)/obj/tests/tools/pcapgen.o $(PKT_OBJS) \
	$(BUILD)/obj/tests/lib/argnum.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# Writes flow files with the collector's own store, for the shell's tests.
$(BUILD)/tests/flowgen: $(BUILD)/obj/tests/tools/flowgen.o $(COLLECTOR_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(COLLECTOR_LIBS)

# A control socket server with rules in memory only, for flowdb-ctl's tests.
# It links the policy's parsing and server, not enforce.o, which drives the
# kernel, nor the alerts that block through it, nor sink.o, which needs libcurl.
$(BUILD)/tests/ctlserve: $(BUILD)/obj/tests/tools/ctlserve.o \
		$(filter-out $(addprefix $(BUILD)/obj/policy/,enforce.o alert.o sink.o), \
		$(POLICY_OBJS)) $(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# Sends alerts through the sinks, for tests/integration/sinks.sh.
$(BUILD)/tests/sinkdrive: $(BUILD)/obj/tests/tools/sinkdrive.o $(BUILD)/obj/policy/sink.o \
		$(COMMON_LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcurl -lpthread

$(BUILD)/tests/flowtrack: $(BUILD)/obj/tests/tools/flowtrack.o $(TRACKER_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LIBBPF_LIBS)

# The floor, the minimal reference and the flow spreader of bench/bpf_cost.
BENCH_SKELS := $(BUILD)/floor.skel.h $(BUILD)/ref.skel.h $(BUILD)/spread.skel.h
$(BENCH_SKELS): $(BUILD)/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/obj/bench/bpf_cost.o: $(BENCH_SKELS)

$(BUILD)/bench/bpf_cost: $(BUILD)/obj/bench/bpf_cost.o $(TRACKER_OBJS) \
	$(BUILD)/obj/tests/lib/pktbuild.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LIBBPF_LIBS)

$(BUILD)/bpf:
	$(Q)mkdir -p $@

# --- set-up and tests -------------------------------------------------------
# Installs the Debian packages the build and the tests need, only when missing.
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' \
		|| echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing $$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "deps: run as root to install: $$missing" >&2; exit 1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y --no-install-recommends $$missing; \
	fi

# A private network, real traffic, then answers: see examples/demo.sh.
demo: deps
	$(MAKE) all
	examples/demo.sh

test: deps
	$(MAKE) all
	$(MAKE) test-unit test-unit-san test-fuzz test-integration

test-unit: $(UNIT_TESTS)
	@failed=0; for t in $(UNIT_TESTS); do $$t || failed=1; done; exit $$failed

# --- the same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
EMBEDDED_OBJS := $(BUILD)/obj/schema/schema_sql.o $(BUILD)/obj/shell/queries_sql.o
SAN_COMMON_LIB := $(SAN)/libcommon.a
SAN_COLLECTOR_OBJS := $(patsubst $(BUILD)/obj/%,$(SAN)/obj/%,\
	$(filter-out $(EMBEDDED_OBJS) $(COMMON_LIB),$(COLLECTOR_OBJS))) $(BUILD)/obj/schema/schema_sql.o \
	$(SAN_COMMON_LIB)
SAN_SH_OBJS := $(patsubst $(BUILD)/obj/%,$(SAN)/obj/%,\
	$(filter-out $(EMBEDDED_OBJS) $(COMMON_LIB),$(SH_OBJS))) $(EMBEDDED_OBJS) $(SAN_COMMON_LIB)
SAN_UNIT_TESTS := $(patsubst $(BUILD)/tests/%,$(SAN)/tests/%,$(UNIT_TESTS))

.PRECIOUS: $(SAN)/obj/%.o
$(SAN)/obj/%.o: %.c
	$(call msg,CC-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(INC) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(SAN_COMMON_LIB): $(patsubst $(BUILD)/obj/%,$(SAN)/obj/%,$(COMMON_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(SAN)/tests/test_sh_%: $(SAN)/obj/tests/unit/test_sh_%.o $(SAN_SH_OBJS)
	$(call msg,LINK-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ $(SH_LIBS) -lcmocka

$(SAN)/tests/test_%: $(SAN)/obj/tests/unit/test_%.o $(SAN)/obj/tests/lib/pktbuild.o \
	$(SAN)/obj/tests/lib/pcapw.o $(SAN_COLLECTOR_OBJS)
	$(call msg,LINK-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ $(COLLECTOR_LIBS) -lcmocka

$(SAN)/tests/test_inspect: $(patsubst $(BUILD)/obj/%,$(SAN)/obj/%,$(BUILD)/obj/tests/unit/test_inspect.o \
	$(INSPECT_TEST_OBJS) $(INSPECT_OBJS)) $(SAN_COMMON_LIB)
	$(call msg,LINK-SAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ -o $@ $(INSPECT_LIBS) -lcmocka

test-unit-san: $(SAN_UNIT_TESTS)
	@failed=0; for t in $(SAN_UNIT_TESTS); do \
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t >$$t.log 2>&1 \
		|| { cat $$t.log; failed=1; }; done; \
	[ $$failed = 0 ] && echo "test-unit-san: $(words $(SAN_UNIT_TESTS)) suites pass under ASan and UBSan"; \
	exit $$failed

# --- libFuzzer over the payload inspectors and the capture reader; make test runs each briefly
FUZZ_TIME ?= 300
FUZZ_TEST_TIME ?= 20
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# An input that runs this long is a hang, reported as a failure (libFuzzer's default is 20 min).
FUZZ_RUN_FLAGS := -timeout=10
FUZZERS := $(BUILD)/fuzz/fuzz_inspect $(BUILD)/fuzz/fuzz_pcapread
# The inspectors' fuzzer runs every row of their table and checks each result with every
# protocol's checks from the unit tests.
$(BUILD)/fuzz/fuzz_inspect: tests/fuzz/fuzz_inspect.c $(wildcard inspect/*.[ch] tests/unit/inspect/*.[ch])
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)/corpus
	$(Q)$(CLANG) $(FUZZ_FLAGS) -D_GNU_SOURCE -Iinspect -Itests/unit/inspect \
		tests/fuzz/fuzz_inspect.c $(wildcard inspect/*.c tests/unit/inspect/*.c) -o $@ $(INSPECT_LIBS) -lcmocka

$(BUILD)/fuzz/fuzz_pcapread: tests/fuzz/fuzz_pcapread.c collector/pcapread.c collector/pcapread.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)/pcap-corpus
	$(Q)$(CLANG) $(FUZZ_FLAGS) -D_GNU_SOURCE -Icollector tests/fuzz/fuzz_pcapread.c \
		collector/pcapread.c -o $@ -lz

# The capture reader's seeds: small generated captures, and the first packets of the shared
# real captures when there are any (found as the integration tests find them).
PCAP_SEEDS := $(BUILD)/fuzz/pcap-seeds
$(PCAP_SEEDS).stamp: tests/fuzz/pcap_seeds.py tests/lib/capwrite.py tests/tools/linktypes.py \
		tests/lib/pcaps.sh
	$(call msg,GEN,$(PCAP_SEEDS))
	$(Q)rm -rf $(PCAP_SEEDS)
	$(Q)python3 tests/fuzz/pcap_seeds.py $(PCAP_SEEDS) \
		$$(top=$(CURDIR); . tests/lib/pcaps.sh; shared_pcaps && echo "$$PCAPS") >/dev/null
	$(Q)touch $@

# Each corpus grows in build/fuzz, seeded with the captured fixtures or the seed captures.
fuzz: deps $(FUZZERS) $(PCAP_SEEDS).stamp
	$(BUILD)/fuzz/fuzz_inspect $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		$(BUILD)/fuzz/corpus tests/fixtures/inspect
	$(BUILD)/fuzz/fuzz_pcapread $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		$(BUILD)/fuzz/pcap-corpus $(PCAP_SEEDS)

test-fuzz: $(FUZZERS) $(PCAP_SEEDS).stamp
	@$(BUILD)/fuzz/fuzz_inspect $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_TEST_TIME) \
		$(BUILD)/fuzz/corpus tests/fixtures/inspect >$(BUILD)/fuzz/test.log 2>&1 || \
		{ tail -40 $(BUILD)/fuzz/test.log; exit 1; }
	@grep -E '^Done [0-9]+ runs' $(BUILD)/fuzz/test.log | sed 's/^/test-fuzz: inspectors: /'
	@$(BUILD)/fuzz/fuzz_pcapread $(FUZZ_RUN_FLAGS) -max_total_time=$(FUZZ_TEST_TIME) \
		$(BUILD)/fuzz/pcap-corpus $(PCAP_SEEDS) >$(BUILD)/fuzz/test-pcap.log 2>&1 || \
		{ tail -40 $(BUILD)/fuzz/test-pcap.log; exit 1; }
	@grep -E '^Done [0-9]+ runs' $(BUILD)/fuzz/test-pcap.log | sed 's/^/test-fuzz: capture reader: /'

test-integration: all
	tests/integration/run.sh

# Differential SQL testing without end: random queries through flowdb and
# through SQLite over the same rows in one file, until a difference or ^C.
fuzz-sql: all
	SQL_DIFF_COUNT=0 SQL_DIFF_SEED=$${SQL_DIFF_SEED:-$$(date +%s)} tests/integration/sql_diff.sh

$(BUILD)/bench/drain_commit: $(BUILD)/obj/bench/drain_commit.o \
	$(BUILD)/obj/tests/lib/pktbuild.o $(COLLECTOR_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(COLLECTOR_LIBS)

$(BUILD)/bench/alert_cost: $(BUILD)/obj/bench/alert_cost.o $(COLLECTOR_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(COLLECTOR_LIBS)

$(BUILD)/bench/flowcap: $(BUILD)/obj/bench/flowcap.o $(BUILD)/obj/tests/lib/pcapw.o \
	$(BUILD)/obj/tests/lib/pktbuild.o $(BUILD)/obj/tests/lib/argnum.o
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# Figures and ratios measured side by side; not part of `make test`. argus
# is installed here, not by `make deps` (nfdump and softflowd are: the IPFIX
# tests use them).
# CORPUS=DIR adds the import of every capture under DIR (a public corpus):
# against the peers (its Ethernet captures merged into one), alone, and its
# inspection checked against tshark.
# BENCHMARKS.md has what one run printed.
bench: deps all $(BUILD)/bench/bpf_cost $(BUILD)/bench/drain_commit $(BUILD)/bench/flowcap \
		$(BUILD)/bench/alert_cost
	$(BUILD)/bench/bpf_cost
	bench/policy_xdp_filter.sh
	bench/drop_rate.sh
	$(BUILD)/bench/drain_commit
	$(BUILD)/bench/alert_cost
	bench/live.sh
	CORPUS=$(CORPUS) bench/import_peers.sh
	bench/export_peers.sh
	bench/import_many.sh
	$(if $(CORPUS),bench/import_corpus.sh $(CORPUS))
	$(if $(CORPUS),bench/inspect_corpus.sh $(CORPUS))
	bench/shell_query.sh
	bench/sql_shapes.sh
	bench/nfdump_query.sh
	bench/ship_rate.sh
	bench/fleet_query.sh

# The shell for everyone, the collector for the administrator, with their
# pages; beside the collector, the check of its inspection against tshark
# (it runs the collector); the report script the example crontab runs; the
# examples.
EXAMPLES_DIR := $(DESTDIR)$(PREFIX)/share/doc/flowdb/examples
install: $(BUILD)/flowdb $(BUILD)/flowdb-collector $(BUILD)/flowdb-ctl $(BUILD)/flowdb-ship
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(EXAMPLES_DIR)/systemd $(EXAMPLES_DIR)/cron $(EXAMPLES_DIR)/forensics \
		$(EXAMPLES_DIR)/policy
	install -m 0755 examples/cron/flowdb-report $(DESTDIR)$(PREFIX)/bin/flowdb-report
	install -m 0644 examples/README.md $(EXAMPLES_DIR)/
	install -m 0644 examples/systemd/* $(EXAMPLES_DIR)/systemd/
	install -m 0644 examples/cron/crontab $(EXAMPLES_DIR)/cron/
	install -m 0755 examples/cron/flowdb-report $(EXAMPLES_DIR)/cron/
	install -m 0644 examples/forensics/*.sql $(EXAMPLES_DIR)/forensics/
	install -m 0644 examples/policy/*.policy $(EXAMPLES_DIR)/policy/
	install -m 0755 $(BUILD)/flowdb $(DESTDIR)$(PREFIX)/bin/flowdb
	install -m 0755 $(BUILD)/flowdb-collector $(DESTDIR)$(PREFIX)/sbin/flowdb-collector
	install -m 0755 tools/flowdb-inspect-check $(DESTDIR)$(PREFIX)/sbin/flowdb-inspect-check
	install -m 0755 $(BUILD)/flowdb-ctl $(DESTDIR)$(PREFIX)/bin/flowdb-ctl
	install -m 0755 $(BUILD)/flowdb-ship $(DESTDIR)$(PREFIX)/bin/flowdb-ship
	install -m 0644 ship/flowdb-ship.1 $(DESTDIR)$(PREFIX)/share/man/man1/flowdb-ship.1
	install -m 0644 ctl/flowdb-ctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/flowdb-ctl.1
	install -m 0644 shell/flowdb.1 $(DESTDIR)$(PREFIX)/share/man/man1/flowdb.1
	install -m 0644 collector/flowdb-collector.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/flowdb-collector.8
	install -m 0644 policy/flowdb-policy.5 $(DESTDIR)$(PREFIX)/share/man/man5/flowdb-policy.5
	install -m 0644 tools/flowdb-inspect-check.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/flowdb-inspect-check.8

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
