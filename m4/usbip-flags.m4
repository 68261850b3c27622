# SPDX-License-Identifier: GPL-2.0-or-later
# USBIP_CC_CHECK_FLAGS_APPEND(VAR, FLAGS-VAR, FLAGS)
# Append to VAR each flag of FLAGS that the compiler (or linker, when
# FLAGS-VAR is LDFLAGS) accepts without a warning.
AC_DEFUN([USBIP_CC_CHECK_FLAGS_APPEND], [
	for flag in $3; do
		AC_MSG_CHECKING([whether $CC accepts $flag])
		saved_flags="$$2"
		$2="$$2 -Werror $flag"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
			[AC_MSG_RESULT([yes]); $1="$$1 $flag"],
			[AC_MSG_RESULT([no])])
		$2="$saved_flags"
	done
])
