# shellcheck shell=bash
# Finds the shared real captures: ../shared/pcaps beside the project, or
# $FLOWDB_PCAPS. Sets PCAPS to their directory and returns 0, or leaves it
# empty and returns 1 when there are none.
shared_pcaps() {
	local d
	PCAPS=
	for d in "${FLOWDB_PCAPS:-}" "$top/../shared/pcaps" /work/shared/pcaps; do
		if [ -n "$d" ] && [ -d "$d" ]; then
			PCAPS=$d
			return 0
		fi
	done
	return 1
}
