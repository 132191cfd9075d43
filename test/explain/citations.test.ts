/**
 * Every rule explain cites is a real section of the named RFC (checked
 * against the section numbers and titles each RFC's table of contents
 * prints, transcribed below) or a real Linux function in the named file, and
 * every citation the scenarios produce is one of them.
 */
import { describe, expect, it } from 'vitest';
import { CITATIONS, citeLabel, type Citation, type CitationId } from '../../src/explain/citations.js';
import { buildLadder } from '../../src/explain/ladder.js';
import { runScenario } from '../../src/explain/run-scenario.js';
import { SCENARIOS } from '../../src/explain/scenarios.js';

/** Section → title, from the RFCs' tables of contents (rfc-editor.org). Only the sections explain cites. */
const RFC_TOC: Record<number, Record<string, string>> = {
  791: { '2.3': 'Function Description', '3.2': 'Discussion' },
  815: { '3': 'Fragment Processing Algorithm' },
  1191: { '3': 'Host specification', '4': 'Router specification', '6.4': 'TCP layer actions' },
  1122: { '4.2.3.2': 'When to Send an ACK Segment', '4.2.3.4': 'When to Send Data' },
  2018: { '2': 'Sack-Permitted Option', '3': 'Sack Option Format', '4': 'Generating Sack Options: Data Receiver Behavior' },
  4987: { '3.6': 'SYN Cookies' },
  5681: { '3.1': 'Slow Start and Congestion Avoidance', '3.2': 'Fast Retransmit/Fast Recovery', '4.2': 'Generating Acknowledgments' },
  5961: { '3.2': 'Mitigation', '4.2': 'Mitigation', '5.2': 'Mitigation' },
  6298: { '2': 'The Basic Algorithm', '3': 'Taking RTT Samples', '5': 'Managing the RTO Timer' },
  6528: { '3': 'Proposed Initial Sequence Number (ISN) Generation Algorithm' },
  6582: { '3.2': 'Specification' },
  6675: { '5': 'Algorithm Details' },
  6928: { '2': 'TCP Modification' },
  7323: { '2.2': 'Window Scale Option', '3.2': 'TCP Timestamps Option' },
  4821: { '1': 'Introduction' },
  8201: { '5.4': 'TCP Layer Actions' },
  8985: { '7.3': 'Sending a Loss Probe upon PTO Expiration' },
  9438: { '4.2': 'Window Increase Function', '4.6': 'Multiplicative Decrease', '4.8': 'Timeout' },
  9293: {
    '3.4.2': 'Knowing When to Keep Quiet',
    '3.6.1': 'Half-Closed Connections',
    '3.7.1': 'Maximum Segment Size Option',
    '3.7.2': 'Path MTU Discovery',
    '3.7.4': 'Nagle Algorithm',
    '3.8.3': 'TCP Connection Failures',
    '3.8.6.1': 'Zero-Window Probing',
    '3.8.6.2.2': "Receiver's Algorithm -- When to Send a Window Update",
    '3.8.6.3': 'Delayed Acknowledgments -- When to Send an ACK Segment',
    '3.10.1': 'OPEN Call',
    '3.10.2': 'SEND Call',
    '3.10.4': 'CLOSE Call',
    '3.10.5': 'ABORT Call',
    '3.10.7.1': 'CLOSED STATE',
    '3.10.7.2': 'LISTEN STATE',
    '3.10.7.3': 'SYN-SENT STATE',
    '3.10.7.4': 'Other States',
    '3.10.8': 'Timeouts',
  },
};

/** Linux functions explain cites, with the file that defines them (Linux 6.x). */
const LINUX_FUNCTIONS: Record<string, string> = {
  cookie_v4_init_sequence: 'net/ipv4/syncookies.c',
  cookie_v4_check: 'net/ipv4/syncookies.c',
  tcp_nagle_check: 'net/ipv4/tcp_output.c',
  tcp_send_delayed_ack: 'net/ipv4/tcp_output.c',
  tcp_send_probe0: 'net/ipv4/tcp_output.c',
  tcp_retransmit_timer: 'net/ipv4/tcp_timer.c',
  tcp_write_timeout: 'net/ipv4/tcp_timer.c',
  tcp_timewait_state_process: 'net/ipv4/tcp_minisocks.c',
  __tcp_ack_snd_check: 'net/ipv4/tcp_input.c',
  ip_forward: 'net/ipv4/ip_forward.c',
  tcp_v4_err: 'net/ipv4/tcp_ipv4.c',
  tcp_v4_mtu_reduced: 'net/ipv4/tcp_ipv4.c',
};

describe('explain citations', () => {
  it('every RFC citation is a real section with its real title, every Linux one a real function', () => {
    for (const [id, c] of Object.entries(CITATIONS) as Array<[string, Citation]>) {
      if ('rfc' in c) expect(RFC_TOC[c.rfc]?.[c.section], `${id}: RFC ${c.rfc} §${c.section}`).toBe(c.title);
      else expect(LINUX_FUNCTIONS[c.linux], `${id}: ${c.linux}`).toBe(c.file);
    }
  });

  it('every scenario cites only table entries, and cites something for each kind of behaviour it shows', () => {
    const used = new Set<string>();
    for (const sc of SCENARIOS) {
      const t = runScenario(sc.name);
      for (const i of buildLadder(t.header, t.steps).items) {
        if (i.kind !== 'rule') continue;
        expect(Object.keys(CITATIONS)).toContain(i.cite);
        used.add(i.cite);
        // Secondary sources are printed labels: map each back to its table entry.
        for (const label of i.also) {
          const id = (Object.keys(CITATIONS) as CitationId[]).find((k) => citeLabel(k) === label);
          expect(id, label).toBeDefined();
          used.add(id!);
        }
      }
    }
    // The behaviours the scenarios exist for are each explained by their own rule.
    for (const id of ['listen', 'syn-sent', 'other', 'close-call', 'timeouts', 'rto-manage', 'syn-cookies', 'sack-recovery', 'zero-window-probe', 'nagle', 'delayed-ack', 'ss-ca', 'ip-fragment', 'ip-reassembly', 'conn-failures', 'abort-call', 'syn-rst-attack', 'pmtu-router', 'pmtu-host', 'pmtu-tcp', 'tcp-pmtud']) {
      expect(used, id).toContain(id);
    }
  });
});
