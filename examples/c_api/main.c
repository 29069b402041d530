// SPDX-License-Identifier: Apache-2.0
// docs/c-api.md: a permission check through the C ABI; ctest runs it (example.c_api).
// [snippet consumer]
#include <tenantkit/c/tenantkit.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  tk_rbac* rbac = NULL;
  tk_error* err = NULL;
  const char* roles[] = {"member"};
  bool allowed = false;
  const char* reason = NULL;
  if (tk_rbac_create(&rbac, &err) != TK_OK ||
      tk_rbac_set_user_roles(rbac, "org_1", "user_1", roles, 1, &err) != TK_OK ||
      tk_rbac_check(rbac, "org_1", "user_1", "members:write", &allowed, &reason, &err) != TK_OK) {
    printf("tenantkit C consumer failed: %s\n", tk_error_message(err));
    tk_error_free(err);
    tk_rbac_destroy(rbac);
    return 1;
  }
  tk_rbac_destroy(rbac);
  if (allowed || strcmp(reason, "not_granted") != 0) {
    puts("unexpected decision");
    return 1;
  }
  printf("tenantkit C consumer ok: libtenantkit_c %s\n", tk_version());
  return 0;
}
// [end consumer]
