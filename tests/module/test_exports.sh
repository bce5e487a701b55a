#!/bin/sh
# pam_sspr.so exports only pam_sm_* and needs only libpam and libc.
set -u
so=${PAM_SSPR_SO:-.libs/pam_sspr.so}
[ -f "$so" ] || { echo "missing $so (build pam_sspr.la first)"; exit 99; }
command -v nm >/dev/null && command -v readelf >/dev/null || { echo "no binutils"; exit 77; }
fail=0
syms=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort)
echo "exported: $(echo $syms)"
for s in $syms; do
    case $s in
    pam_sm_authenticate|pam_sm_setcred|pam_sm_acct_mgmt|pam_sm_chauthtok) ;;
    *) echo "FAIL: unexpected export $s"; fail=1 ;;
    esac
done
for want in pam_sm_authenticate pam_sm_setcred pam_sm_acct_mgmt pam_sm_chauthtok; do
    echo "$syms" | grep -qx "$want" || { echo "FAIL: $want not exported"; fail=1; }
done
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)
echo "needed: $(echo $needed)"
for lib in $needed; do
    case $lib in
    libpam.so.0|libc.so.6) ;;
    # a sanitizer build links its runtimes in; the release build must not
    libasan.so.*|libubsan.so.*|libm.so.6|libgcc_s.so.1|libstdc++.so.6|libdl.so.2|libpthread.so.0)
        if nm -D "$so" | grep -q __asan_; then :; else echo "FAIL: needs $lib"; fail=1; fi ;;
    *) echo "FAIL: needs $lib"; fail=1 ;;
    esac
done
exit $fail
