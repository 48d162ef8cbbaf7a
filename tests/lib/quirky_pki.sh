# Test fixtures with the quirks of real TPM vendor PKIs, made with openssl at
# test time (nothing binary is committed). Sourced by the test scripts (POSIX sh).
#
# quirky_pki DIR EKPUB: in DIR (which must exist), for the EK public key in
# the PEM file EKPUB:
#   ultimate.pem      "Test Ultimate TPM Root", self-signed (like GlobalSign's TPM root)
#   vendor-self.pem   "Test Vendor EK Root", self-signed
#   vendor-cross.pem  the same subject and key, issued by the ultimate root
#                     (a vendor "root" that is cross-signed, like STMicro's)
#   int.pem           "Test Vendor EK Intermediate", issued by the vendor root
#   ek.pem, ek.der    the EK certificate, issued by the intermediate: empty
#                     subject, critical subjectAltName holding the TPM
#                     manufacturer attributes as a directoryName, TCG
#                     subjectDirectoryAttributes, EK extended key usage
#   decoy.pem         an unrelated self-signed root
#   vendor.key        a private key in PEM (not a certificate)
# and NAME.der for each NAME.pem above. Returns non-zero if openssl fails.
quirky_pki() {
	_qd=$1
	_qpub=$2
	cat > "$_qd/ext.cnf" <<'CNF'
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
# keyid only, as real cross-signed hierarchies do: issuer and serial would
# tie the intermediate to one edition of the vendor root.
authorityKeyIdentifier = keyid
[ v3_ek ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyAgreement
subjectAltName = critical,dirName:tpm_dn
extendedKeyUsage = 2.23.133.8.1
authorityKeyIdentifier = keyid
certificatePolicies = 1.2.3.4.5
2.5.29.9 = ASN1:SEQUENCE:sda
[ tpm_dn ]
# TPM manufacturer, model, version; openssl drops the "x." before the OID.
x.2.23.133.2.1 = id:54455354
x.2.23.133.2.2 = QUIRK-TPM
x.2.23.133.2.3 = id:00010002
[ sda ]
attr = SEQUENCE:tpm_spec_attr
[ tpm_spec_attr ]
type = OID:2.23.133.2.16
values = SET:tpm_spec_set
[ tpm_spec_set ]
spec = SEQUENCE:tpm_spec
[ tpm_spec ]
family = UTF8:2.0
level = INT:0
revision = INT:138
CNF
	(
		set -e
		cd "$_qd"
		key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
		key ultimate.key
		key vendor.key
		key int.key
		key decoy.key
		key dummy.key
		openssl req -x509 -new -key ultimate.key -subj "/O=Test Trust Services/CN=Test Ultimate TPM Root" \
			-days 3650 -config ext.cnf -extensions v3_root -out ultimate.pem
		openssl req -x509 -new -key decoy.key -subj "/O=Decoy/CN=Decoy TPM Root" \
			-days 3650 -config ext.cnf -extensions v3_root -out decoy.pem
		openssl req -x509 -new -key vendor.key -subj "/O=Test Vendor/CN=Test Vendor EK Root" \
			-days 3650 -config ext.cnf -extensions v3_root -out vendor-self.pem
		openssl req -new -key vendor.key -subj "/O=Test Vendor/CN=Test Vendor EK Root" \
			-config ext.cnf -out vendor.csr
		openssl x509 -req -in vendor.csr -CA ultimate.pem -CAkey ultimate.key -set_serial 2 \
			-days 3650 -extfile ext.cnf -extensions v3_ca -out vendor-cross.pem
		openssl req -new -key int.key -subj "/O=Test Vendor/CN=Test Vendor EK Intermediate" \
			-config ext.cnf -out int.csr
		openssl x509 -req -in int.csr -CA vendor-self.pem -CAkey vendor.key -set_serial 3 \
			-days 3650 -extfile ext.cnf -extensions v3_ca -out int.pem
		# TCG EK certificates have an empty subject: the SAN names the TPM.
		openssl req -new -key dummy.key -subj "/" -config ext.cnf -out ek.csr
		openssl x509 -req -in ek.csr -force_pubkey "$_qpub" -CA int.pem -CAkey int.key \
			-set_serial 4 -days 365 -extfile ext.cnf -extensions v3_ek -out ek.pem
		for _qn in ultimate decoy vendor-self vendor-cross int ek; do
			openssl x509 -in "$_qn.pem" -outform DER -out "$_qn.der"
		done
	) > "$_qd/openssl.log" 2>&1
}

# ff_pad N: N bytes of 0xff on stdout, as unused NV space reads.
ff_pad() {
	head -c "$1" /dev/zero | tr '\000' '\377'
}
