import { describe, expect, it } from 'vitest';
import { Connection } from '../../src/tcp/connection.js';
import { TCP_ACK, TCP_RST, TCP_SYN } from '../../src/wire/tcp.js';
import {
  FakeEnv,
  LOCAL_ISS,
  REMOTE_ISS,
  RecordingHandler,
  TUPLE,
  expectNothing,
  expectSent,
  peer,
} from './helpers.js';

const PLAIN = { timestamps: false, sack: false, windowScaling: false };

describe('active open (RFC 9293 §3.10.1, §3.10.7.3)', () => {
  it('sends SYN with MSS, sackOK+TS and wscale in Linux order, then ESTABLISHED on SYN-ACK', () => {
    const env = new FakeEnv();
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    expect(c.state).toBe('SYN_SENT');
    // Linux tcp_select_initial_window: 64 KiB rounded down to whole 1460-byte segments.
    const syn = expectSent(env, { at: 0, flags: TCP_SYN, seq: LOCAL_ISS, ack: 0, window: 64240 });
    expect(syn.options.mss).toBe(1460);
    expect(syn.options.sackPermitted).toBe(true);
    expect(syn.options.wscale).toBe(3); // 256 KiB receive buffer needs shift 3 (RFC 7323 §2.3)
    expect(syn.options.timestamp?.ecr).toBe(0);
    env.clock.advance(10);
    c.input(
      peer({
        flags: TCP_SYN | TCP_ACK,
        seq: REMOTE_ISS,
        ack: LOCAL_ISS + 1,
        window: 1000,
        options: { mss: 1400, sackPermitted: true, wscale: 7, timestamp: { val: 777, ecr: syn.options.timestamp!.val } },
      }),
    );
    expect(c.state).toBe('ESTABLISHED');
    expect(h.events).toEqual(['connect']);
    const ack = expectSent(env, { at: 10, flags: TCP_ACK, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1 });
    expect(ack.options.timestamp?.ecr).toBe(777);
    const info = c.info();
    // MSS = min(peer, ours) minus the 12 bytes of timestamp option (RFC 9293 §3.7.1, RFC 7323).
    expect(info.mss).toBe(1400 - 12);
    expect(info.sndWscale).toBe(7);
    expect(info.rcvWscale).toBe(3);
    expect(info.sndWnd).toBe(1000); // the SYN-ACK's window is never scaled (RFC 7323 §2.2)
    expect(info.timestamps && info.sackOk).toBe(true);
    expect(info.srtt).toBe(10);
  });

  it('uses no window scaling unless both sides sent the option (RFC 7323 §2.2)', () => {
    const env = new FakeEnv();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, new RecordingHandler());
    env.sent.length = 0;
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1, options: { mss: 536 } }));
    const i = c.info();
    expect([i.sndWscale, i.rcvWscale, i.timestamps, i.sackOk, i.mss]).toEqual([0, 0, false, false, 536]);
  });

  it('retransmits the SYN at 1, 3, 7, 15, 31, 63 s then reports ETIMEDOUT at 127 s (RFC 6298 §5.5, Linux tcp_syn_retries=6)', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    Connection.connect(env, TUPLE, LOCAL_ISS, h);
    expectSent(env, { at: 0, flags: TCP_SYN, seq: LOCAL_ISS });
    for (const t of [1000, 3000, 7000, 15000, 31000, 63000]) {
      expectNothing(env, t - 1);
      env.clock.runUntil(t);
      expectSent(env, { at: t, flags: TCP_SYN, seq: LOCAL_ISS });
    }
    expectNothing(env, 126_999);
    expect(h.events).toEqual([]);
    env.clock.runUntil(127_000);
    expect(h.events).toEqual(['error:ETIMEDOUT', 'close']);
    expect(env.unregistered).toEqual([TUPLE]);
    expectNothing(env);
    expect(env.clock.runUntilIdle()).toBe(true);
  });

  it('RST acknowledging our SYN → ECONNREFUSED (RFC 9293 §3.10.7.3, RFC 5961 §3.2)', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    env.sent.length = 0;
    c.input(peer({ flags: TCP_RST | TCP_ACK, seq: 0, ack: LOCAL_ISS + 1 }));
    expect(h.events).toEqual(['error:ECONNREFUSED', 'close']);
    expect(c.state).toBe('CLOSED');
    expectNothing(env);
  });

  it('ignores a RST whose ACK does not acknowledge the SYN', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    env.sent.length = 0;
    c.input(peer({ flags: TCP_RST | TCP_ACK, seq: 0, ack: LOCAL_ISS + 7 }));
    c.input(peer({ flags: TCP_RST, seq: 0 }));
    expect(c.state).toBe('SYN_SENT');
    expect(h.events).toEqual([]);
    expectNothing(env);
  });

  it('answers a SYN-ACK with an unacceptable ACK with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.3)', () => {
    const env = new FakeEnv(PLAIN);
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, new RecordingHandler());
    env.sent.length = 0;
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 50 }));
    expectSent(env, { flags: TCP_RST, seq: LOCAL_ISS + 50 });
    expect(c.state).toBe('SYN_SENT');
  });

  it('simultaneous open: SYN in SYN_SENT → SYN_RECEIVED with SYN-ACK, then ESTABLISHED on ACK (RFC 9293 §3.5 fig. 7)', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    expectSent(env, { flags: TCP_SYN, seq: LOCAL_ISS });
    c.input(peer({ flags: TCP_SYN, seq: REMOTE_ISS, options: { mss: 1460 } }));
    expect(c.state).toBe('SYN_RECEIVED');
    expectSent(env, { flags: TCP_SYN | TCP_ACK, seq: LOCAL_ISS, ack: REMOTE_ISS + 1 });
    // The SYN-ACK is retransmitted on the RTO while SYN_RECEIVED.
    env.clock.runUntil(1000);
    expectSent(env, { at: 1000, flags: TCP_SYN | TCP_ACK, seq: LOCAL_ISS, ack: REMOTE_ISS + 1 });
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1 }));
    // Their SYN-ACK: a SYN in a synchronizing state gets a challenge ACK but its ACK is not processed.
    env.sent.length = 0;
    c.input(peer({ flags: TCP_ACK, seq: REMOTE_ISS + 1, ack: LOCAL_ISS + 1 }));
    expect(c.state).toBe('ESTABLISHED');
    expect(h.events).toEqual(['connect']);
    expectNothing(env, 10_000);
  });

  it('data queued in SYN_SENT is sent once ESTABLISHED (RFC 9293 §3.10.2)', () => {
    const env = new FakeEnv(PLAIN);
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, new RecordingHandler());
    expectSent(env, { flags: TCP_SYN });
    expect(c.send(Buffer.from('early'))).toBe(5);
    expectNothing(env);
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1 }));
    // The handshake ACK first, on its own (Linux; see synSentArrives and test/tcp/syn-ack-pure-ack.test.ts).
    expectSent(env, { flags: TCP_ACK, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1, payloadLen: 0 });
    expectSent(env, { flags: TCP_ACK | 0x08, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1, payload: 'early' });
    expectNothing(env);
  });
});

describe('passive open via fromHandshake', () => {
  function handshake(env: FakeEnv) {
    return {
      ...TUPLE,
      iss: LOCAL_ISS,
      irs: REMOTE_ISS,
      peerMss: 1460,
      sndWscale: 0,
      rcvWscale: 0,
      sackOk: false,
      tsOk: false,
      tsRecent: 0,
      tsOffset: 0,
      synAckRetransmits: 0,
      synAckSentAt: env.clock.now(),
    };
  }

  it('accepts data on the third ACK and queues it until the owner reads (RFC 9293 §3.10.7.4)', () => {
    const env = new FakeEnv(PLAIN);
    env.clock.advance(5);
    const c = Connection.fromHandshake(
      env,
      { ...handshake(env), synAckSentAt: 0 },
      peer({ flags: TCP_ACK | 0x08, seq: REMOTE_ISS + 1, ack: LOCAL_ISS + 1, payload: 'GET /' }),
    );
    expect(c.state).toBe('ESTABLISHED');
    expect(c.info().srtt).toBe(5);
    // The connection's first data: quick-ACK mode, ACKed at once (Linux tcp_event_data_recv).
    expectSent(env, { at: 5, flags: TCP_ACK, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 6 });
    const h = new RecordingHandler();
    c.handler = h;
    expect(c.read()?.toString()).toBe('GET /');
    expect(c.read()).toBeNull();
  });

  it('processes a FIN on the third ACK: CLOSE_WAIT', () => {
    const env = new FakeEnv(PLAIN);
    const c = Connection.fromHandshake(
      env,
      handshake(env),
      peer({ flags: TCP_ACK | 0x01, seq: REMOTE_ISS + 1, ack: LOCAL_ISS + 1, payload: 'bye' }),
    );
    expect(c.state).toBe('CLOSE_WAIT');
    // Linux tcp_fin: ping-pong mode, the ACK waits for the delayed-ACK timer (or our FIN).
    expectNothing(env, 39);
    env.clock.runUntil(40);
    expectSent(env, { at: 40, flags: TCP_ACK, ack: REMOTE_ISS + 5 });
    expect(c.read()?.toString()).toBe('bye');
    expect(c.readEnded).toBe(true);
  });
});

describe('handshake edge cases', () => {
  it('a retransmitted SYN-ACK in ESTABLISHED (our ACK was lost) is re-ACKed (RFC 9293 §3.10.7.4 first)', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1 }));
    env.sent.length = 0;
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1 }));
    expectSent(env, { flags: TCP_ACK, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1 });
    expect(c.state).toBe('ESTABLISHED');
    expect(h.events).toEqual(['connect']);
  });

  it('data sent from onConnect follows the handshake ACK, which leaves first on its own (Linux)', () => {
    const env = new FakeEnv(PLAIN);
    const h = new RecordingHandler();
    const c = Connection.connect(env, TUPLE, LOCAL_ISS, h);
    h.onConnect = () => {
      c.send(Buffer.from('hi'));
    };
    env.sent.length = 0;
    c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: LOCAL_ISS + 1 }));
    expectSent(env, { flags: TCP_ACK, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1, payloadLen: 0 });
    expectSent(env, { flags: TCP_ACK | 0x08, seq: LOCAL_ISS + 1, ack: REMOTE_ISS + 1, payload: 'hi' });
    expectNothing(env);
  });
});

describe('regression: sequence state initialised from the ISS', () => {
  for (const iss of [0x7fffffff, 0x80000000, 0xfffffff0]) {
    it(`a first small write goes out at once with ISS 0x${iss.toString(16)} (Nagle's runt marker starts at ISS)`, () => {
      const env = new FakeEnv(PLAIN);
      const c = Connection.connect(env, TUPLE, iss, new RecordingHandler());
      c.input(peer({ flags: TCP_SYN | TCP_ACK, seq: REMOTE_ISS, ack: (iss + 1) >>> 0 }));
      env.sent.length = 0;
      expect(c.send(Buffer.from('x'))).toBe(1);
      expectSent(env, { seq: (iss + 1) >>> 0, payload: 'x' });
    });
  }
});
