#!/usr/bin/python3
"""
A small WHIP client (RFC 9725) on GStreamer's webrtcbin, as OBS and whipsink publish:
videotestsrc + x264enc (H.264 constrained baseline; or vp8enc with --video vp8) and audiotestsrc + opusenc, send-only,
one bundled transport, every candidate in the offer (no trickle). Debian 12 has no
whipsink, and its simple-whip-client crashes at start, so the tests use this one.

  gst-whip-client.py URL [--token TOKEN] [--loopback]

Prints "STATUS <code>" and "LOCATION <url>" on stdout once the POST is answered; runs
until SIGTERM/SIGINT or stdin closes, then DELETEs the session and exits 0.
--loopback adds 127.0.0.1 to the ICE agent: libnice ignores loopback interfaces, and in a
network namespace with only `lo` there would be no candidate at all.
"""
import argparse
import os
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
gi.require_version('Nice', '0.1')
from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402

VIDEO = {
    # H.264 constrained baseline: what OBS and hardware encoders send; relayed as is.
    'h264': (
        'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=1000 ! video/x-h264,profile=constrained-baseline ! '
        'rtph264pay config-interval=-1 pt=102 aggregate-mode=zero-latency ! '
        'application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000 ! send. '
    ),
    # VP8 only: the service transcodes it to H.264 for RTMP.
    'vp8': (
        'vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=1000000 ! '
        'rtpvp8pay pt=96 ! application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000 ! send. '
    ),
}


def pipeline(video):
    return (
        'webrtcbin name=send bundle-policy=max-bundle '
        'videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=30/1 ! videoconvert ! '
        + VIDEO[video]
        + 'audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! opusenc ! rtpopuspay pt=111 ! '
        'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! send. '
    )


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


class WhipClient:
    def __init__(self, url, token, loopback, video='h264'):
        self.url = url
        self.token = token
        self.location = None
        self.negotiating = False
        self.posted = False
        self.loop = GLib.MainLoop()
        self.pipe = Gst.parse_launch(pipeline(video))
        self.webrtc = self.pipe.get_by_name('send')
        if loopback:
            # PyGObject (3.42) wraps this property's object without a reference of its own
            # and drops one when the wrapper goes, destroying webrtcbin's ICE agent: the
            # wrapper is kept for the life of the client.
            self.ice = self.webrtc.get_property('ice-agent')
            agent = self.ice.get_property('agent')
            address = Nice.Address()
            address.set_from_string('127.0.0.1')
            agent.add_local_address(address)
        for transceiver in self.transceivers():
            transceiver.set_property('direction', GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        self.webrtc.connect('on-negotiation-needed', self.on_negotiation_needed)
        self.webrtc.connect('notify::ice-gathering-state', self.on_gathering_state)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self.on_error)

    def transceivers(self):
        found = []
        i = 0
        while True:
            t = self.webrtc.emit('get-transceiver', i)
            if t is None:
                return found
            found.append(t)
            i += 1

    def on_error(self, _bus, message):
        error, debug = message.parse_error()
        log('pipeline error:', error.message, debug)
        self.loop.quit()

    def on_negotiation_needed(self, _element):
        # Fired once per transceiver as the pipeline starts: one offer covers both.
        if self.negotiating:
            return
        self.negotiating = True
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit('create-offer', None, promise)

    def on_offer_created(self, promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value('offer')
        if offer is None:
            log('no offer:', reply.to_string())
            self.loop.quit()
            return
        self.webrtc.emit('set-local-description', offer, Gst.Promise.new())

    def on_gathering_state(self, _element, _spec):
        if self.webrtc.get_property('ice-gathering-state') != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        if self.posted:
            return
        self.posted = True
        offer = self.webrtc.get_property('local-description').sdp.as_text()
        if os.environ.get('WHIP_CLIENT_DEBUG'):
            log(offer)
        # The POST blocks: off the main loop, and the answer is applied back on it.
        threading.Thread(target=self.post, args=(offer,), daemon=True).start()

    def post(self, offer):
        headers = {'Content-Type': 'application/sdp'}
        if self.token:
            headers['Authorization'] = 'Bearer ' + self.token
        request = urllib.request.Request(self.url, data=offer.encode(), headers=headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=20) as res:
                status, answer, location = res.status, res.read().decode(), res.headers.get('Location')
        except urllib.error.HTTPError as e:
            status, answer, location = e.code, e.read().decode(), None
        print('STATUS', status, flush=True)
        if status != 201:
            log('refused:', answer.strip())
            GLib.idle_add(self.loop.quit)
            return
        self.location = urllib.parse.urljoin(self.url, location)
        print('LOCATION', self.location, flush=True)
        GLib.idle_add(self.apply_answer, answer)

    def apply_answer(self, answer):
        _res, sdp = GstSdp.SDPMessage.new_from_text(answer)
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        self.webrtc.emit('set-remote-description', description, Gst.Promise.new())
        return False

    def delete(self):
        if not self.location:
            return
        try:
            urllib.request.urlopen(urllib.request.Request(self.location, method='DELETE'), timeout=5).close()
        except (urllib.error.URLError, OSError) as e:
            log('DELETE failed:', e)

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        self.loop.run()
        self.delete()
        self.pipe.set_state(Gst.State.NULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('url')
    parser.add_argument('--token')
    parser.add_argument('--loopback', action='store_true')
    parser.add_argument('--video', choices=sorted(VIDEO), default='h264')
    args = parser.parse_args()
    Gst.init(None)
    client = WhipClient(args.url, args.token, args.loopback, args.video)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, lambda *_: client.loop.quit() or False)
    GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.PRIORITY_DEFAULT, GLib.IO_HUP, lambda *_: client.loop.quit() or False)
    client.run()


if __name__ == '__main__':
    main()
