# A throwaway CA, and certificates signed by it for a server and a client, in
# $tmp; `tls server` and `tls client` print the options that use them.
# Sourced by the network-namespace tests, which define $tmp and fail().
pki() { openssl "$@" >/dev/null 2>>"$tmp/openssl.err" || fail "openssl $1"; }
newkey() { echo -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$tmp/$1.key" -subj "/CN=$1"; }
pki req -x509 -days 2 $(newkey ca) -out "$tmp/ca.pem"
for who in server client; do
  pki req $(newkey $who) -out "$tmp/$who.csr"
  pki x509 -req -days 2 -in "$tmp/$who.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" \
    -CAcreateserial -out "$tmp/$who.pem"
done
tls() { echo --tls-cert "$tmp/$1.pem" --tls-key "$tmp/$1.key" --tls-ca "$tmp/ca.pem"; }
