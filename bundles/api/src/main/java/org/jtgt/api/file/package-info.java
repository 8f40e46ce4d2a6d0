/**
 * Files jtgt creates on disk: owner-only modes for what may hold initiator data, secrets or
 * reservations.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.api.file;
