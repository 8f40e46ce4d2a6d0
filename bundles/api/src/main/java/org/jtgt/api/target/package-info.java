/** Administration of the target daemon: targets, logical units, ACLs, target ports. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package org.jtgt.api.target;
