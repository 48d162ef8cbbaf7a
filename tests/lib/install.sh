# shellcheck shell=sh
# install_prefix DIR: "make install" into DIR as a prefix of its own, so that
# the installed tools find each other there as they would under /usr: the
# program ($BIN), attest-tpm2-enroll and the boot library in DIR/usr, the
# configuration in DIR/etc, the generators' and systemd's files in folders
# of DIR. Prints the path of the installed attest-tpm2-enroll.
install_prefix() {
	make -s -C "$(cd "$(dirname "$0")/../.." && pwd)" install PREFIX="$1/usr" SYSCONFDIR="$1/etc" \
		DRACUTDIR="$1/dracut" ITDIR="$1/initramfs-tools" UNITDIR="$1/systemd" \
		INSTALL_BIN="$BIN" > "$1.install.log" 2>&1 || {
		echo "FAIL make install into $1: $(tail -n 3 "$1.install.log" | tr '\n' ' ')" >&2
		return 1
	}
	echo "$1/usr/bin/attest-tpm2-enroll"
}
