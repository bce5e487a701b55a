/*
 * The error table. Keep it sorted by code and in step with
 * docs/troubleshooting.md (tests/admin/test_errors.sh compares the two).
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>

#include "support/errors.h"
#include "support/i18n.h"

/* The user texts are translated where they are shown (sspr_error_user_text). */
#define UNAVAILABLE N_("Password reset is not available right now")
#define NOT_FOR_ACCOUNT N_("Password reset is not available for this account")

static const struct sspr_error table[] = {
    /* ---- E1xx configuration ------------------------------------------------ */
    { 101, "config-invalid", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the configuration file cannot be read or has an error",
      "sspr.conf has a syntax error, an unknown section or key, a duplicate key or a value "
      "out of range, or it cannot be read. The helper then refuses every reset.",
      "run `sspr-helper show-config` (it names the file, line and key), correct "
      "/etc/sspr/sspr.conf, then run `sspr-helper doctor` again" },
    { 102, "config-unsafe", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the configuration file is not owned by root or is writable by group or others",
      "sspr.conf decides who may reset what; anyone who can write it could turn the "
      "gates off, so it is refused unless it is a regular root-owned file, not a "
      "symbolic link, and not group/world writable.",
      "chown root:root /etc/sspr/sspr.conf && chmod 0600 /etc/sspr/sspr.conf" },
    { 103, "state-dir", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the state directory is missing, not root-owned 0700, a symbolic link, or unwritable",
      "registered methods and throttling counters live in state_dir (default "
      "/var/lib/sspr). It must be a real directory owned by root with mode 0700, on a "
      "writable file system with free space.",
      "mkdir -p /var/lib/sspr && chown root:root /var/lib/sspr && chmod 0700 /var/lib/sspr "
      "(or the state_dir set in sspr.conf); check `df` and that the file system is not "
      "read-only" },
    { 104, "helper-unsafe", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the helper program is missing, not root-owned, or writable by others",
      "pam_sspr.so starts sspr-helper as root; it refuses a helper (or a directory above "
      "it) that is not owned by root or that group or others can write.",
      "reinstall the package (or `make install`), then: chown root:root /usr/sbin/sspr-helper "
      "&& chmod 0755 /usr/sbin/sspr-helper, and make sure /usr and /usr/sbin are root-owned "
      "and not group/world writable" },
    { 105, "writeback-service", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the PAM service used to set the new password is missing",
      "the new password is written through pam_chauthtok on the service named by "
      "pam_service (default sspr-passwd). Without /etc/pam.d/sspr-passwd libpam falls back "
      "to /etc/pam.d/other, which usually denies.",
      "install /etc/pam.d/sspr-passwd from the package (conf/pam.d/sspr-passwd): "
      "`password requisite pam_pwquality.so retry=1 enforce_for_root` then "
      "`password required pam_unix.so use_authtok yescrypt`" },
    { 106, "pwquality-root", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the writeback PAM service does not enforce password quality for root",
      "the helper runs as root, and pam_pwquality only warns root unless it has "
      "enforce_for_root: a weak new password would be accepted.",
      "add enforce_for_root to the pam_pwquality.so line of /etc/pam.d/sspr-passwd, and keep "
      "pam_pwquality before pam_unix.so (which needs use_authtok)" },
    { 107, "pam-stack", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "pam_sspr.so is missing from a PAM stack or is in the wrong place",
      "pam_sspr.so must come right after pam_unix.so in the auth stack, and pam_unix's "
      "success=N must jump over it (and over pam_deny.so) to pam_permit.so. Otherwise a "
      "correct password may run the reset offer, or a reset may never be offered.",
      "run `pam-auth-update --enable sspr` (Debian), or make common-auth read: "
      "auth [success=2 default=ignore] pam_unix.so nullok / "
      "auth [success=1 default=ignore] pam_sspr.so / auth requisite pam_deny.so / "
      "auth required pam_permit.so" },
    { 108, "sshd-kbdint", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "sshd does not allow keyboard-interactive authentication through PAM",
      "over SSH the reset prompts are keyboard-interactive questions; with "
      "KbdInteractiveAuthentication no (or ChallengeResponseAuthentication no) or UsePAM no, "
      "sshd never runs the PAM conversation that carries them.",
      "set `UsePAM yes` and `KbdInteractiveAuthentication yes` in /etc/ssh/sshd_config (not "
      "overridden in sshd_config.d/*.conf), check with `sshd -T`, then "
      "`systemctl reload ssh`" },
    { 109, "banned-list", SSPR_SHOW_ANYONE, UNAVAILABLE, "the banned-password list cannot be read",
      "banned_file (default /usr/share/pam_sspr/banned-passwords.txt) is checked for every "
      "new password; pam_pwquality's dictionary is not enough. A missing or unsafe list "
      "makes the helper refuse new passwords rather than skip the check.",
      "reinstall the package, or point banned_file in sspr.conf at a root-owned file that is "
      "not group/world writable" },
    { 110, "pam-module", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "pam_sspr.so is not installed in the PAM module directory",
      "a PAM line names pam_sspr.so but libpam cannot find it, so the line fails (and with "
      "the usual jumps, so does the login).",
      "reinstall the package (or `make install`; `--with-pam-dir` must match the system's "
      "module directory, /lib/x86_64-linux-gnu/security on Debian 12)" },
    { 111, "pwquality-dictionary", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "pam_pwquality's dictionary (cracklib) is missing",
      "pam_pwquality checks new passwords against cracklib's dictionary; without it every "
      "password is refused (\"error loading dictionary\"), so no reset can finish.",
      "install cracklib-runtime (apt-get install cracklib-runtime; it is only a recommendation "
      "of libcrack2), or set dictcheck = 0 in /etc/security/pwquality.conf" },
    { 112, "directory-unreachable", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the LDAP directory cannot be reached (connection, TLS or timeout)",
      "with backend = ldap every reset reads the directory: no server in [ldap] uri answered "
      "within [ldap] timeout, the TLS certificate did not verify against ca_file, or "
      "StartTLS was refused. Normal password logins are not affected.",
      "check [ldap] uri and that the port is open from this machine, ca_file (the CA that "
      "signed the server's certificate; the name in uri must be in the certificate), and "
      "`sspr-helper doctor`, which connects and says which step failed" },
    { 113, "directory-bind", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the directory refused the service account (bind or access)",
      "the bind as [ldap] bind_dn failed (wrong password in bind_pw_file, an expired or "
      "locked service account), or its ACLs do not let it read or write the ssprAccount "
      "attributes.",
      "check bind_dn and the password = line in bind_pw_file (root-only, 0600), and the "
      "ACLs of conf/ldap/sspr-acl.ldif; `sspr-helper doctor` binds and tries them" },
    { 114, "directory-schema", SSPR_SHOW_ANYONE, UNAVAILABLE,
      "the directory does not know pam_sspr's schema (objectClass ssprAccount)",
      "the methods of directory users are kept in the auxiliary objectClass ssprAccount, "
      "which the server must load from conf/ldap/sspr.schema (slapd.conf) or sspr.ldif "
      "(cn=config).",
      "load the schema (docs/ldap.md: `ldapadd -Y EXTERNAL -H ldapi:/// -f sspr.ldif`) on "
      "every server of the directory" },

    /* ---- E2xx eligibility and registration ---------------------------------- */
    { 201, "unknown-user", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT, "no account has this name",
      "the name does not resolve (getpwnam) to an account under exactly this spelling. On "
      "the reset path this is never shown: the user walks the same prompts as everyone "
      "else and cannot succeed.",
      "check the spelling and case; for directory accounts check NSS (`getent passwd NAME`)" },
    { 202, "root", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "root can never reset its password this way", "resets of UID 0 are refused by design.",
      "use the console or your recovery process for root; nothing to change in pam_sspr" },
    { 203, "system-uid", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "the account's UID is below min_uid",
      "system accounts (UID below min_uid, default UID_MIN from /etc/login.defs) are "
      "refused.",
      "if this is a real person's account, lower min_uid in [policy] of sspr.conf (never "
      "below the highest system UID)" },
    { 204, "not-enabled", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "policy does not enable resets for this account or service",
      "[policy] enabled is none, or group:NAME and the user is not a member, or services "
      "does not list this PAM service.",
      "add the user to the group named in `enabled = group:NAME`, or change enabled / "
      "services in sspr.conf" },
    { 205, "account-locked", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "the account is locked (its password hash starts with ! or *)",
      "an administrator locked the account (passwd -l, usermod -L) or it never had a "
      "password. A reset never unlocks an account.",
      "unlock it yourself if that is intended (`passwd -u USER` / `usermod -U USER`)" },
    { 206, "account-expired", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT, "the account has expired",
      "the shadow account expiry date has passed; a reset would not let the user in anyway.",
      "`chage -E -1 USER` (or a new date) if the account should live on" },
    { 207, "nologin-shell", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "the account's shell is not a login shell",
      "the shell is not listed in /etc/shells (for example /usr/sbin/nologin): the account is "
      "not meant to sign in.",
      "`chsh -s /bin/bash USER` if the user should sign in, or add the shell to /etc/shells" },
    { 208, "no-methods", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "the user has not registered any reset method",
      "nothing is registered for this user (no authenticator app, recovery codes, email or "
      "phone), so no gate can be passed.",
      "have the user register at sign-in (register_at_login = offer), or as root: "
      "`sspr-helper enroll USER --totp` / `--recovery-codes` / `--email ADDR`" },
    { 209, "too-few-methods", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "fewer usable methods are registered than policy needs",
      "policy asks for more gates than the user has different registered methods among the "
      "allowed ones. Administrators (members of admin_groups) need admin_gates (default two) "
      "different methods from admin_methods, and their gates may not all be email/SMS.",
      "register another method for the user (for an admin: an authenticator app AND recovery "
      "codes), e.g. `sspr-helper enroll USER --recovery-codes`; see `sspr-helper doctor USER`" },
    { 210, "record-corrupt", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "the user's record in the state directory is unreadable or corrupt",
      "the record user-<uid>.json is empty, not valid JSON, has duplicate keys, is a symbolic "
      "link or has the wrong owner. Resets fail closed for this user only.",
      "look at /var/lib/sspr/user-<uid>.json; remove it and register the user again "
      "(`sspr-helper enroll USER ...`)" },
    { 211, "throttled", SSPR_SHOW_AUTHENTICATED, N_("Too many failed attempts"),
      "the user is locked out of resets after too many failed verifications",
      "max_failures failed codes in failure_window (or max_consecutive in a row) lock resets "
      "for lockout seconds (or until an admin unlocks). Password logins are not affected.",
      "wait for the lockout to end, or after checking with the user: `sspr-helper unlock USER`" },
    { 212, "no-shadow", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "the account has no readable shadow entry",
      "the helper cannot read the user's /etc/shadow entry (a directory account without "
      "shadow data, or a broken /etc/shadow): it cannot tell whether the account is locked "
      "or expired, so it refuses.",
      "check `getent shadow USER` as root; local writeback needs a local shadow entry" },
    { 213, "local-account", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "a local account: the ldap backend resets directory accounts only",
      "the name is in /etc/passwd; with backend = ldap a reset writes the password to the "
      "directory, so a local account (and root) is never reset that way.",
      "reset local accounts with passwd, or run a machine with local users on backend = local" },
    { 214, "protected-account", SSPR_SHOW_AUTHENTICATED, NOT_FOR_ACCOUNT,
      "a protected directory account (Active Directory adminCount = 1, Administrator, krbtgt)",
      "Active Directory marks the members of its administrative groups with adminCount = 1; "
      "such accounts, the built-in Administrator and krbtgt are never reset by pam_sspr, "
      "because the service account's rights on an OU would otherwise reach a domain "
      "administrator (Samba does not strip them: it runs no SDProp).",
      "reset administrators with the domain's own tools; keep them outside the OU the "
      "service account may reset in (docs/active-directory.md)" },

    /* ---- E3xx delivery ---------------------------------------------------- */
    { 301, "smtp-unreachable", SSPR_SHOW_AFTER_CHANNEL,
      N_("The code could not be sent by email right now"),
      "the SMTP server in smtp_url cannot be reached",
      "the connection to the mail server failed or timed out (DNS, firewall, server down, "
      "TLS handshake or certificate failure).",
      "check [email] smtp_url, that the host resolves and the port is open from this machine "
      "(`sspr-helper doctor` tries a connection), and ca_file for a private CA" },
    { 302, "smtp-refused", SSPR_SHOW_AFTER_CHANNEL,
      N_("The code could not be sent by email right now"),
      "the SMTP server refused the message or the login",
      "the server answered but rejected authentication, STARTTLS, the sender or the "
      "recipient.",
      "check [email] auth_file (user and password, root-only), from (an address the server "
      "lets you send as) and starttls; the mail log of the server says which" },
    { 303, "sms-gateway", SSPR_SHOW_AFTER_CHANNEL,
      N_("The code could not be sent by text message right now"),
      "the SMS gateway failed (no connection, timeout, or a non-2xx answer)",
      "the gateway in [sms] url could not be reached, timed out, or answered with an error "
      "(bad credentials, no credit, a number it refuses).",
      "check [sms] url, auth_file and body; `sspr-helper doctor` tries a connection; the "
      "gateway's own logs name the reason" },
    { 304, "send-cap", SSPR_SHOW_AFTER_CHANNEL,
      N_("Too many codes were sent recently. Try again later"),
      "the per-user limit of codes sent per hour was reached",
      "max_sends_per_hour codes were sent to this user in the last hour; this stops inbox "
      "and SMS flooding.",
      "wait an hour; if it happens to legitimate users often, raise max_sends_per_hour in "
      "[throttle]" },

    /* ---- E4xx writeback ---------------------------------------------------- */
    { 401, "pwquality-reject", SSPR_SHOW_AFTER_GATES, N_("The new password was not accepted"),
      "the new password was refused by the password policy",
      "pam_pwquality, the banned-password list, min_length or the user-name check refused "
      "every new password the user tried (max_tries).",
      "nothing to fix if the policy is intended; tell the user what it requires "
      "(/etc/security/pwquality.conf, min_length)" },
    { 402, "chauthtok", SSPR_SHOW_AFTER_GATES, N_("Your password could not be changed"),
      "pam_chauthtok on the writeback service failed",
      "the writeback stack (sspr-passwd) failed for a reason other than password quality: "
      "/etc/shadow not writable (read-only root, full disk), a module missing, or a lock "
      "held by another passwd.",
      "read the syslog lines of the flow (`journalctl -t sspr-helper`), check "
      "/etc/pam.d/sspr-passwd and that /etc is writable" },
    { 403, "account-changed", SSPR_SHOW_AFTER_GATES, N_("Your password could not be changed"),
      "the account changed while the reset was running",
      "between the checks and the writeback the account was locked, expired, renamed, or "
      "its password changed by someone else; the reset stops rather than overwrite it.",
      "start the reset again; if the account was locked on purpose, it stays locked" },
    { 404, "directory-write", SSPR_SHOW_AFTER_GATES, "Your password could not be changed",
      "the directory refused to set the password for the user (not its password policy)",
      "the Password Modify operation was refused: the service account may not act as the "
      "user (proxied authorization: authz-policy, authzTo), or the directory went away.",
      "check the service entry's authzTo and olcAuthzPolicy (docs/ldap.md); the server's "
      "log names the refusal" },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

const struct sspr_error *sspr_error_get(int code)
{
    size_t lo = 0, hi = NTABLE;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (table[mid].code == code)
            return &table[mid];
        if (table[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct sspr_error *sspr_error_table(size_t *count)
{
    if (count != NULL)
        *count = NTABLE;
    return table;
}

int sspr_error_id(int code, char *buf, size_t len)
{
    int n;

    if (buf == NULL || len == 0)
        return -1;
    buf[0] = '\0';
    if (sspr_error_get(code) == NULL)
        return -1;
    n = snprintf(buf, len, "SSPR-E%03d", code);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return -1;
    }
    return n;
}

static int put(char *buf, size_t len, int n)
{
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return -1;
    }
    return n;
}

int sspr_error_user_text(int code, char *buf, size_t len)
{
    const struct sspr_error *e = sspr_error_get(code);

    if (buf == NULL || len == 0)
        return -1;
    if (e == NULL) {
        (void)put(buf, len, snprintf(buf, len, "%s.", _(UNAVAILABLE)));
        return -1;
    }
    /* TRANSLATORS: %1$s is the short text ("Password reset is not available
       right now"), %2$03d the number of the code (SSPR-E101) */
    return put(buf, len,
               snprintf(buf, len,
                        _("%1$s (SSPR-E%2$03d). Your administrator can look this code "
                          "up."),
                        _(e->user_text), e->code));
}

int sspr_error_may_show(int code, enum sspr_error_audience stage)
{
    const struct sspr_error *e = sspr_error_get(code);

    return e != NULL && e->audience <= stage;
}

int sspr_error_generic_text(const char *flow, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return -1;
    if (flow == NULL || flow[0] == '\0')
        return put(buf, len,
                   snprintf(buf, len, _("%s. Try again later or ask your administrator."),
                            _(UNAVAILABLE)));
    for (const char *p = flow; *p != '\0'; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) || p - flow >= 32) {
            buf[0] = '\0';
            return -1;
        }
    }
    /* TRANSLATORS: %2$s is a reference number (hex) for the administrator */
    return put(buf, len,
               snprintf(buf, len,
                        _("%1$s (reference %2$s). Your administrator can look this "
                          "reference up."),
                        _(UNAVAILABLE), flow));
}
