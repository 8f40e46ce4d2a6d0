/** SCSI constants shared by drivers and the daemon: status codes, sense keys, sense data written and parsed. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.jtgt.api.scsi;
