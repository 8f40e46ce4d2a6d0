/**
 * The host side's API for low-level drivers: SCSI hosts, their ordered queues, pooled command
 * slots and completions.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.api.host;
