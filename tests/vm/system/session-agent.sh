#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The login shell's work for the test users alice (autologin on tty1, the
# active console session) and bob (tty2, a session that is not active): it
# runs the scripts the driver drops into /run/wolfram-vm/session/$USER as
# N.cmd, inside this logind session, and leaves N.out and N.rc. Started from
# ~/.bash_profile; never returns.
dir=/run/wolfram-vm/session/$USER
while :; do
        for cmd in "$dir"/*.cmd; do
                [ -e "$cmd" ] || continue
                n=${cmd%.cmd}
                mv "$cmd" "$n.run" || continue
                bash "$n.run" >"$n.out" 2>&1 </dev/null
                echo $? >"$n.rc.tmp"
                mv "$n.rc.tmp" "$n.rc"
        done
        sleep 0.2
done
