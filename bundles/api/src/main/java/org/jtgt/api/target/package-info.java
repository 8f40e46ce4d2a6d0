/** Administration of the target daemon: targets, logical units, ACLs, target ports and port groups. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package org.jtgt.api.target;
