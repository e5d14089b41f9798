/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CU_MACRO_H
#define CU_MACRO_H

#include <stddef.h>
#include <stdlib.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _must_check_   __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define CU_EXPORT      __attribute__((visibility("default")))
#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))

/* Hand ownership of *p out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _ptr_ = (p);                                                         \
		(p) = NULL;                                                                        \
		_ptr_;                                                                             \
	})

static inline void cu_freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(cu_freep)

/* Define a cleanup helper `name##p` calling `func` on a non-NULL pointer. */
#define CU_DEFINE_CLEANUP(type, func)                                                              \
	static inline void func##p(type *p)                                                        \
	{                                                                                          \
		if (*p)                                                                            \
			func(*p);                                                                  \
	}

#endif
