/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_CRYPTO_JWT_H
#define CU_CRYPTO_JWT_H

#include <custos/appraisal.h>

#include "../base/macro.h"

CU_DEFINE_CLEANUP(cu_signing_key *, cu_signing_key_free);

#endif
