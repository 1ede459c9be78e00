# A test-only callback (tests/ansible/fleet_test.py): writes every task result per host and the
# play recap to the JSON file named by TLAUNCH_ANSIBLE_RESULTS, so the test reads what
# ansible-playbook saw without parsing its human output. ansible-core has no JSON callback of its
# own (that one lives in the ansible.posix collection, which the test must not download).
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: record_results
type: aggregate
short_description: write task results and stats to a JSON file (tests)
description:
  - Writes {plays [{tasks [{task {name}, hosts {HOST RESULT}}]}], stats {HOST {ok changed failures unreachable skipped}}}
    to the file named by TLAUNCH_ANSIBLE_RESULTS.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def _task(self, task):
        tasks = self.plays[-1]["tasks"]
        if not tasks or tasks[-1]["_uuid"] != task._uuid:
            tasks.append({"_uuid": task._uuid, "task": {"name": task.get_name()}, "hosts": {}})
        return tasks[-1]

    def _record(self, result, **extra):
        entry = dict(result._result)
        entry.update(extra)
        self._task(result._task)["hosts"][result._host.get_name()] = entry

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        doc = {"plays": self.plays, "stats": {}}
        for play in self.plays:
            for t in play["tasks"]:
                t.pop("_uuid", None)
        for host in sorted(stats.processed.keys()):
            doc["stats"][host] = stats.summarize(host)
        with open(os.environ["TLAUNCH_ANSIBLE_RESULTS"], "w") as f:
            json.dump(doc, f, default=str)
