# shellcheck shell=sh
# What every integration suite starts from (tests/integration/test_*.sh):
# the swtpm and interposer helpers, the assertions and their reporting,
# and the Python that runs the test tools.
#   set -u
#   here=$(cd "$(dirname "$0")/.." && pwd)
#   . "$here/lib/suite.sh"
# shellcheck disable=SC2154 # here is the suite's
# shellcheck source=SCRIPTDIR/swtpm.sh
. "$here/lib/swtpm.sh"
# shellcheck source=SCRIPTDIR/check.sh
. "$here/lib/check.sh"
# shellcheck source=SCRIPTDIR/proxy.sh
. "$here/lib/proxy.sh"
PYTHON=${PYTHON:-python3}
