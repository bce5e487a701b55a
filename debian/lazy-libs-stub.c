/* Never installed: built only so that dpkg-shlibdeps sees the libraries
 * sspr-helper dlopen()s when a step needs them (sspr-helper/support/lazy.h)
 * and names them in its Depends (debian/rules). One function of each. */
extern void pam_start_confdir(void);
extern void oath_init(void);
extern void QRcode_free(void);

void (*const sspr_loaded_later[])(void) = { pam_start_confdir, oath_init, QRcode_free };

int main(void)
{
    return sspr_loaded_later[0] == 0;
}
