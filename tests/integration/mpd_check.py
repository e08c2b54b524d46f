"""What the DASH schema (ISO/IEC 23009-1, DASH-MPD.xsd) requires of an MPD,
checked on its text: the elements and attributes it names as required,
the types of the ones Tollgate writes, and the rules of the live and
on-demand profiles that a schema cannot say. problems(text) lists what
is wrong (empty: valid)."""

import re
import xml.etree.ElementTree as ET

NS = "{urn:mpeg:dash:schema:mpd:2011}"
DURATION = re.compile(r"^-?P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?"
                      r"(\d+(\.\d+)?S)?)?$")
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                       r"(Z|[+-]\d\d:\d\d)$")
CODECS = re.compile(r"^(avc[13]\.[0-9A-Fa-f]{6}|mp4a\.40\.\d+|opus|"
                    r"hvc1\.[\w.]+)$")


def _check_type(name, value, problems, where):
    if name in ("minBufferTime", "mediaPresentationDuration",
                "minimumUpdatePeriod", "timeShiftBufferDepth",
                "suggestedPresentationDelay", "maxSegmentDuration", "start"):
        if not DURATION.match(value) or value in ("P", "PT"):
            problems.append("%s@%s is not an xs:duration: %r"
                            % (where, name, value))
    elif name in ("availabilityStartTime", "publishTime"):
        if not DATE_TIME.match(value):
            problems.append("%s@%s is not an xs:dateTime: %r"
                            % (where, name, value))
    elif name in ("bandwidth", "width", "height", "timescale",
                  "startNumber", "t", "d", "r", "audioSamplingRate"):
        if not re.match(r"^-?\d+$", value) or (name != "r"
                                                and int(value) < 0):
            problems.append("%s@%s is not an unsigned integer: %r"
                            % (where, name, value))


def _check_all_types(element, problems):
    where = element.tag.replace(NS, "")
    for name, value in element.attrib.items():
        _check_type(name, value, problems, where)
    for child in element:
        _check_all_types(child, problems)


def problems(text):
    found = []
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        return ["not XML: %s" % e]
    if root.tag != NS + "MPD":
        return ["the root is %s, not MPD in the DASH namespace" % root.tag]
    _check_all_types(root, found)
    for name in ("profiles", "minBufferTime"):
        if name not in root.attrib:
            found.append("MPD@%s is required" % name)
    kind = root.get("type", "static")
    if kind not in ("static", "dynamic"):
        found.append("MPD@type is %r" % kind)
    if kind == "dynamic":
        for name in ("availabilityStartTime", "publishTime"):
            if name not in root.attrib:
                found.append("a dynamic MPD needs @%s" % name)
    elif ("mediaPresentationDuration" not in root.attrib
          and "minimumUpdatePeriod" not in root.attrib):
        found.append("a static MPD needs @mediaPresentationDuration")
    periods = root.findall(NS + "Period")
    if not periods:
        found.append("no Period")
    for period in periods:
        sets = period.findall(NS + "AdaptationSet")
        if not sets:
            found.append("a Period has no AdaptationSet")
        for aset in sets:
            reps = aset.findall(NS + "Representation")
            if not reps:
                found.append("an AdaptationSet has no Representation")
            for rep in reps:
                for name in ("id", "bandwidth"):
                    if name not in rep.attrib:
                        found.append("Representation@%s is required" % name)
                for name in ("mimeType", "codecs"):
                    if name not in rep.attrib and name not in aset.attrib:
                        found.append("Representation %s has no @%s"
                                     % (rep.get("id"), name))
                codecs = rep.get("codecs", aset.get("codecs", ""))
                for codec in codecs.split(","):
                    if codec and not CODECS.match(codec):
                        found.append("codecs %r is not RFC 6381" % codec)
                # (an Element without children is false: no "or")
                template = rep.find(NS + "SegmentTemplate")
                if template is None:
                    template = aset.find(NS + "SegmentTemplate")
                if template is None:
                    found.append("Representation %s has no SegmentTemplate"
                                 % rep.get("id"))
                    continue
                if "media" not in template.attrib:
                    found.append("SegmentTemplate@media is required")
                timeline = template.find(NS + "SegmentTimeline")
                if timeline is None and "duration" not in template.attrib:
                    found.append("SegmentTemplate has neither @duration "
                                 "nor a SegmentTimeline")
                if timeline is not None:
                    entries = timeline.findall(NS + "S")
                    if not entries:
                        found.append("an empty SegmentTimeline")
                    for s in entries:
                        if "d" not in s.attrib:
                            found.append("S@d is required")
    return found
