# shellcheck shell=bash
# Webhook receivers' set-up shared by test_webhooks.sh and test_webhooks_relays.sh
# (sourced after lib.sh).

# hooks_setup NAMES... -- CERTS...: in $H (made 0711 here), a CA and a certificate for each of
# CERTS signed by it ($H/CERT.pem, $H/CERT.key), and for each receiver of NAMES a secret
# ($H/NAME.secret, 0600, owned by the account the relay runs as) and a folder for its deliveries.
hooks_setup() {
	local owner name r
	H="$E2E_TMP/hooks"
	mkdir -m 711 "$H"
	owner=$(id -un)
	[ "$(id -u)" = 0 ] && owner=nobody
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$H/ca.key" -out "$H/ca.pem" \
		-days 2 -subj "/CN=Handoff test CA" 2>/dev/null || fail "openssl req (CA) failed"
	local names=() certs=() in_certs=0
	for r in "$@"; do
		if [ "$r" = -- ]; then in_certs=1; elif [ "$in_certs" = 1 ]; then certs+=("$r"); else names+=("$r"); fi
	done
	for name in "${certs[@]}"; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$H/$name.key" \
			-out "$H/$name.csr" -subj "/CN=$name" 2>/dev/null || fail "openssl req ($name) failed"
		printf 'subjectAltName=DNS:%s\n' "$name" >"$H/$name.ext"
		openssl x509 -req -in "$H/$name.csr" -CA "$H/ca.pem" -CAkey "$H/ca.key" -CAcreateserial -days 2 \
			-extfile "$H/$name.ext" -out "$H/$name.pem" 2>/dev/null || fail "openssl x509 ($name) failed"
	done
	chmod 644 "$H/ca.pem"
	for r in "${names[@]}"; do
		openssl rand -hex 32 >"$H/$r.secret"
		chmod 600 "$H/$r.secret"
		chown "$owner" "$H/$r.secret"
		mkdir -p "$H/$r"
	done
}
