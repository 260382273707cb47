// SPDX-License-Identifier: GPL-2.0
/*
 * Delete a live NVMe over Fabrics controller through sysfs, also with bad
 * input written to delete_controller while the deletion is under way.
 */
#include "nvme_delete.h"
