package org.jtgt.api.target;

import java.util.List;

/**
 * A snapshot of one target.
 *
 * @param acl admitted initiator names; empty means all
 */
public record TargetInfo(String name, List<LunInfo> luns, List<String> acl, int nexusCount) {
}
