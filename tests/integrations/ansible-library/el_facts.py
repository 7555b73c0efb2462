#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Ansible facts module for tests/integrations/ansible.sh: the facts of a Rocky Linux 10
# host (the OS family the role reads), so a Debian test machine can play an EL node.
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, ansible_facts={
        "os_family": "RedHat",
        "distribution": "Rocky",
        "distribution_major_version": "10",
        "pkg_mgr": "dnf",
        "service_mgr": "systemd",
    })


if __name__ == "__main__":
    main()
