// SPDX-License-Identifier: GPL-2.0
/*
 * Write delete_controller while the controller is still being set up.
 */
#define NVME_DELETE_RACE
#include "nvme_delete.h"
