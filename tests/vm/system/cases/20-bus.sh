# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# The object on the bus against the contract: busctl introspect gives the
# interface of dbus/org.wolfram.Memory1.xml (members, arguments, types,
# access, change signalling; not the documentation); busctl tree shows the
# object.

# members FILE: one line per method, argument, signal and property.
members() {
        perl -0777 -ne '
                s/<!--.*?-->//gs;
                m{<interface\s+name="org\.wolfram\.Memory1"\s*>(.*?)</interface>}s or exit 1;
                my $body = $1;
                my @out;
                sub attr { my ($a, $n) = @_; $a =~ /\b$n="([^"]*)"/ ? $1 : "" }
                while ($body =~ m{<(method|signal|property)\s([^>]*?)(?:/>|>(.*?)</\1>)}gs) {
                        my ($kind, $attrs, $inner) = ($1, $2, $3 // "");
                        my $name = attr($attrs, "name");
                        if ($kind eq "property") {
                                my $emits = "true";
                                $emits = $1 if $inner =~ m{<annotation\s+name="org\.freedesktop\.DBus\.Property\.EmitsChangedSignal"\s+value="([^"]*)"};
                                $emits = $1 if $inner =~ m{<annotation\s+value="([^"]*)"\s+name="org\.freedesktop\.DBus\.Property\.EmitsChangedSignal"};
                                push @out, join(" ", $kind, $name, attr($attrs, "type"), attr($attrs, "access"), "emits=$emits");
                                next;
                        }
                        my $i = 0;
                        my $args = "";
                        while ($inner =~ m{<arg\s([^>]*?)/?>}gs) {
                                my $dir = $kind eq "method" ? (attr($1, "direction") || "in") : "";
                                $args .= " " . join(":", attr($1, "name"), attr($1, "type"), $dir);
                        }
                        push @out, "$kind $name$args";
                }
                print "$_\n" for sort @out;
        ' "$1"
}

busctl introspect --xml-interface "$BUS_NAME" "$BUS_PATH" >/run/wolfram-vm/live.xml 2>&1
save introspect.xml </run/wolfram-vm/live.xml
busctl introspect --no-pager "$BUS_NAME" "$BUS_PATH" 2>&1 | save introspect.txt
contract=/usr/local/lib/wolfram-vm/org.wolfram.Memory1.xml
if members "$contract" >/run/wolfram-vm/contract.members && members /run/wolfram-vm/live.xml >/run/wolfram-vm/live.members; then
        if diff -u /run/wolfram-vm/contract.members /run/wolfram-vm/live.members >/run/wolfram-vm/members.diff; then
                pass "busctl introspect matches the XML ($(wc -l </run/wolfram-vm/contract.members) members and arguments)"
        else
                fail "busctl introspect differs from the XML: $(grep '^[-+][a-z]' /run/wolfram-vm/members.diff | head -n 5 | tr '\n' ';')"
                save introspect.diff </run/wolfram-vm/members.diff
        fi
else
        fail "no org.wolfram.Memory1 interface in the XML or the introspection"
fi
# The same installed file the package ships for other tools.
check "the installed interface file is the contract" cmp -s "$contract" /usr/share/dbus-1/interfaces/org.wolfram.Memory1.xml

busctl tree --list "$BUS_NAME" >/run/wolfram-vm/tree.txt 2>&1
save busctl-tree.txt </run/wolfram-vm/tree.txt
if grep -qx "$BUS_PATH" /run/wolfram-vm/tree.txt; then
        pass "busctl tree shows $BUS_PATH"
else
        fail "busctl tree: $(tr '\n' ' ' </run/wolfram-vm/tree.txt)"
fi

# What the engine's work stands on is never advised, and the engine knows
# the bus daemon and polkitd by the pids the bus reports (dbus-daemon and
# dbus-broker alike), not only by their names.
# polkitd is started by the bus on demand: make sure it runs.
busctl call org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority org.freedesktop.DBus.Peer Ping \
        >/dev/null 2>&1
# dbus-broker answers with its launcher's pid (the broker itself is its
# child, protected by name).
bus_daemon_pid=$(busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        GetConnectionUnixProcessID s org.freedesktop.DBus 2>/dev/null | awk '{ print $2 }')
polkitd_pid=$(busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
        GetConnectionUnixProcessID s org.freedesktop.PolicyKit1 2>/dev/null | awk '{ print $2 }')
for target in "1:the init system" "${bus_daemon_pid:-0}:the system bus" "${polkitd_pid:-0}:polkit"; do
        pid=${target%%:*} why=${target#*:}
        out=$(wolframctl reclaim "$pid" 2>&1)
        rc=$?
        if [ "$pid" != 0 ] && [ "$rc" -ne 0 ] && [[ $out == *"$why"* ]]; then
                pass "ReclaimProcess refuses $pid ($(cat "/proc/$pid/comm")): $out"
        else
                fail "ReclaimProcess of $pid ($why) gave rc $rc: $out"
        fi
done

# systemctl reload (the unit's ExecReload=): the same engine reads its
# configuration again.
pid_before=$(main_pid)
if systemctl reload wolfram.service && wait_for 20 eval \
        'journalctl -b --no-pager -o cat -u wolfram.service _PID="$pid_before" | grep -q "SIGHUP: reloading the configuration"' &&
        [ "$(main_pid)" = "$pid_before" ] && is_active; then
        pass "systemctl reload wolfram: the engine ($pid_before) reloaded its configuration"
else
        fail "systemctl reload wolfram: $(systemctl is-active wolfram.service), MainPID $(main_pid) (was $pid_before)"
fi
