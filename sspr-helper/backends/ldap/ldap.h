/*
 * Inside the LDAP backend: the pieces its files share. Nothing outside
 * backends/ldap/ includes this.
 *
 * The directory is reached only through sspr-ldap, an unprivileged program
 * that holds the flow's one connection (sspr-ldap/proto.h); this side
 * builds requests and reads the answers' items, it never parses LDAP.
 * What has no place in the directory (throttle records of names that are
 * not accounts, host facts) stays in the embedded local store.
 */
#ifndef SSPR_LDAP_BACKEND_H
#define SSPR_LDAP_BACKEND_H

#include <stddef.h>

#include "backends/backend.h"
#include "msg.h"
#include "support/child.h"

/* The ops table (registered as "ldap"). */
extern const struct sspr_backend_ops sspr_backend_ldap;

/* The program (tests point it at the build tree). */
extern const char *sspr_ldap_program;
/* 0 skips its ownership check (a build tree below /tmp). */
extern int sspr_ldap_check_program;

#define SSPR_LDAP_DN_MAX 1024
/* compare-and-swap retries of one update before it gives up */
#define SSPR_LDAP_CAS_TRIES 64

struct sspr_ldap_entry;

struct sspr_ldap {
    struct sspr_backend local; /* the local backend, opened on the same configuration:
                                  host facts, and names that are no account */
    struct sspr_child child; /* sspr-ldap, once the directory is first needed */
    int broken;              /* the connection failed: every later call fails at once */
    char broken_why[256];
    int code;                /* its SSPR-E code (112 unreachable, 113 bind refused) */
    unsigned ops;            /* requests sent (the bench counts them) */
    char uri[256];           /* the URI of [ldap] uri that answered (doctor says it) */
    char skipped[512];       /* "URI: why" of the first one passed over, if any */
    struct sspr_ldap_entry *cached; /* the entry resolve read, for one load */
    /* the dialect (ad.c): 0 until known, then an enum sspr_ldap_dialect */
    int dialect;
    int root_read, root_is_ad; /* the root DSE was read; it says AD */
    char domain_dn[SSPR_LDAP_DN_MAX], schema_dn[SSPR_LDAP_DN_MAX];
};

static inline struct sspr_ldap *sspr_ldap_of(struct sspr_backend *be)
{
    return be->priv;
}

/* ---- talking to sspr-ldap (client.c) ---- */

/* A request being built: op first, then its items. */
void sspr_ldap_req(struct sspr_msg_buf *b, const char *op);

/* Send b (freed) and read the answer into ans. SSPR_OK when the directory
 * answered (*rc is its result code, msg its diagnostic), else
 * SSPR_ERR_UNAVAILABLE (not reachable, timed out, refused our bind: msg
 * says which) and the connection is broken for the rest of the flow. The
 * first call starts sspr-ldap and binds. */
int sspr_ldap_call(struct sspr_backend *be, struct sspr_msg_buf *b, struct sspr_msg *ans, int *rc,
                   char *msg, size_t msglen);

/* Stop sspr-ldap (close). */
void sspr_ldap_disconnect(struct sspr_ldap *l);

/* ---- one entry of a search answer (entry.c) ---- */

struct sspr_ldap_entry {
    struct sspr_msg ans; /* owned */
    char dn[SSPR_LDAP_DN_MAX];
    size_t first, end; /* its items in ans */
};

/* Search base/scope/filter for attrs (NULL-terminated). *found: 0 none,
 * 1 exactly one (out filled), 2 more than one (nothing filled). */
int sspr_ldap_search_one(struct sspr_backend *be, const char *base, const char *scope,
                         const char *filter, const char *const *attrs,
                         struct sspr_ldap_entry *out, int *found);
void sspr_ldap_entry_free(struct sspr_ldap_entry *e);
/* The values of attribute name (case-insensitive), up to max; the count. */
size_t sspr_ldap_values(const struct sspr_ldap_entry *e, const char *name,
                        const struct sspr_msg_item **vals, size_t max);
/* The first value, or NULL. */
const struct sspr_msg_item *sspr_ldap_value(const struct sspr_ldap_entry *e, const char *name);
/* The first value as a C string (-1: none, too long, or holding a NUL). */
int sspr_ldap_value_str(const struct sspr_ldap_entry *e, const char *name, char *buf,
                        size_t size);
/* The first value as a whole decimal number (-1: none, empty, or not one). */
int sspr_ldap_value_ll(const struct sspr_ldap_entry *e, const char *name, long long *out);
/* 1 when attribute name has value v (case-insensitive: objectClass). */
int sspr_ldap_has_value(const struct sspr_ldap_entry *e, const char *name, const char *v);

/* RFC 4515: value with * ( ) \ NUL and every non-ASCII byte as \XX, into
 * out. -1 when it does not fit. */
int sspr_ldap_escape(const char *value, char *out, size_t size);
/* The user filter (sspr_ldap_filter) with the typed name escaped into its %s. */
int sspr_ldap_user_filter(const char *filter, const char *name, char *out, size_t size);

/* ---- modifications (record.c, throttle.c, commit.c) ---- */

/* Start a modify request of dn; then mods. */
void sspr_ldap_modify_req(struct sspr_msg_buf *b, const char *dn);
void sspr_ldap_mod(struct sspr_msg_buf *b, const char *op, const char *attr);
void sspr_ldap_val(struct sspr_msg_buf *b, const void *v, size_t len);
/* Send it: SSPR_OK (*rc the result), or SSPR_ERR_UNAVAILABLE. */
int sspr_ldap_send_modify(struct sspr_backend *be, struct sspr_msg_buf *b, int *rc, char *msg,
                          size_t msglen);
/* The result codes that mean "someone else changed it first": re-read. */
int sspr_ldap_conflict(int rc);

/* ---- accounts (account.c) ---- */
int sspr_ldap_resolve(struct sspr_backend *be, const char *typed, struct sspr_account *out);
int sspr_ldap_member_of(struct sspr_backend *be, const struct sspr_account *acct,
                        const char *group);
/* Keep e (moved: e is empty afterwards) for the next load of its DN. */
void sspr_ldap_cache_entry(struct sspr_backend *be, struct sspr_ldap_entry *e);
/* Take the cached entry of dn, if any (1: *out filled and owned by the caller). */
int sspr_ldap_take_cached(struct sspr_backend *be, const char *dn, struct sspr_ldap_entry *out);
void sspr_ldap_drop_cached(struct sspr_backend *be);
/* The account's entry (by its DN, acct->id), with attrs. */
int sspr_ldap_read_entry(struct sspr_backend *be, const struct sspr_account *acct,
                         const char *const *attrs, struct sspr_ldap_entry *out);

/* ---- registration (record.c) ---- */
int sspr_ldap_load(struct sspr_backend *be, const struct sspr_account *acct,
                   struct sspr_record *out);
int sspr_ldap_update(struct sspr_backend *be, const struct sspr_account *acct, unsigned flags,
                     sspr_record_edit edit, void *ctx);
/* The entry's values as a record (a value that cannot be read makes that
 * method damaged: refused, the others unaffected). Fuzzed (fuzz/fuzz_ldap.c). */
void sspr_ldap_record_decode(const struct sspr_backend *be, const struct sspr_ldap_entry *e,
                             struct sspr_record *out);
/* Append to b the mods that turn entry e (which decoded to before) into
 * after; *changes counts them. A change the directory does not take from
 * us is SSPR_ERR_UNSUPPORTED with be->why saying so. */
int sspr_ldap_record_modify(struct sspr_backend *be, const struct sspr_ldap_entry *e,
                            const struct sspr_record *before, const struct sspr_record *after,
                            struct sspr_msg_buf *b, int *changes);

/* ---- throttling (throttle.c) ---- */
int sspr_ldap_subject(struct sspr_backend *be, const struct sspr_account *acct, const char *typed,
                      struct sspr_subject *out);
int sspr_ldap_throttle_load(struct sspr_backend *be, const struct sspr_subject *s,
                            struct sspr_throttle_rec *out);
int sspr_ldap_throttle_update(struct sspr_backend *be, const struct sspr_subject *s,
                              unsigned flags, sspr_throttle_edit edit, void *ctx,
                              struct sspr_throttle_rec *after);
/* The ssprThrottle text of r, and back. */
int sspr_ldap_throttle_encode(const struct sspr_throttle_rec *r, char *out, size_t size);
int sspr_ldap_throttle_decode(const char *text, size_t len, struct sspr_throttle_rec *r);

/* ---- the reset (commit.c) ---- */
int sspr_ldap_grant(struct sspr_backend *be, const struct sspr_account *acct, const char *flow_id);
enum sspr_commit sspr_ldap_commit(struct sspr_backend *be, const struct sspr_account *acct,
                                  const char *flow_id, const char *password, char *msg,
                                  size_t msglen);
int sspr_ldap_unlock(struct sspr_backend *be, const struct sspr_account *acct);

/* ---- the Active Directory dialect (ad.c) ---- */

/* The dialect: the configured one, or for auto what the root DSE says (read
 * once per flow). SSPR_LDAP_DIALECT_OPENLDAP or _AD, or < 0 (the directory
 * is not reachable). */
int sspr_ldap_dialect(struct sspr_backend *be);
/* 1 when the dialect is known to be AD (after sspr_ldap_dialect). */
int sspr_ldap_is_ad(const struct sspr_backend *be);
/* 1 when the configuration sends everything over TLS (AD needs it). */
int sspr_ldap_ad_tls(const struct sspr_config *cfg);
/* The user filter for typed: [ldap] user_filter, else the dialect's. */
const char *sspr_ldap_filter(struct sspr_backend *be, const char *typed);
/* 1 when a write to e must add objectClass ssprAccount (never in AD). */
int sspr_ldap_wants_oc(struct sspr_backend *be, const struct sspr_ldap_entry *e);
/* How a GeneralizedTime value ends: "Z", AD ".0Z". */
const char *sspr_ldap_gtime_suffix(struct sspr_backend *be);
/* AD: otherMobile, where mobile is the configured attribute and empty. */
const struct sspr_msg_item *sspr_ldap_ad_mobile(const struct sspr_backend *be,
                                                const struct sspr_ldap_entry *e);
/* The attributes AD accounts add to a read, NULL-terminated. */
extern const char *const SSPR_LDAP_AD_ATTRS[];
/* Eligibility from an AD entry's flags. */
enum sspr_ineligible sspr_ldap_ad_state(const struct sspr_ldap_entry *e);
/* Membership in a domain group (tokenGroups); a group the domain does not
 * have is looked up locally (NSS). 1, 0, or -1 (cannot tell). */
int sspr_ldap_ad_member_of(struct sspr_backend *be, const struct sspr_account *acct,
                           const char *group);
/* The quoted password in UTF-16LE (unicodePwd); -1 if in is not UTF-8. */
long sspr_ldap_ad_unicode_pwd(const char *in, unsigned char *out, size_t size);
/* Replace unicodePwd and set pwdLastSet = -1 in one modify: SSPR_OK and
 * *code the result, or an error (nothing sent). */
int sspr_ldap_ad_set_password(struct sspr_backend *be, const struct sspr_account *acct,
                              const char *password, int *code, char *diag, size_t diaglen);
/* AD's refusal (19/53) in the user's words: 1 when msg was set. */
int sspr_ldap_ad_refusal(int code, const char *diag, char *msg, size_t msglen);
/* lockoutTime = 0 when it is set. */
int sspr_ldap_ad_unlock(struct sspr_backend *be, const struct sspr_account *acct);
void sspr_ldap_ad_doctor(struct sspr_backend *be, struct sspr_report *r);

/* ---- doctor (doctor.c) ---- */
void sspr_ldap_doctor(struct sspr_backend *be, struct sspr_report *r);

#endif
