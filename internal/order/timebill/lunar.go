package timebill

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// The Vietnamese lunisolar calendar, computed the standard astronomical way for UTC+7: a lunar month
// begins on the local day of a new moon; month 11 is the one holding the winter solstice; in a year with 13
// months the leap month is the first one in which the sun enters no new 30° sector of longitude (no major
// solar term). New moons and the sun's longitude use the low-precision series of Meeus's "Astronomical
// Algorithms", good to minutes for the years 1900–2100, which is all a holiday calendar needs. Floats are
// fine here: they pick days, never amounts.

// synodicMonth is the mean length of a lunar month in days.
const synodicMonth = 29.530588853

// newMoonEpoch is the Julian date of the new moon of 1900-01-01 13:52 UT, new moon number 0.
const newMoonEpoch = 2415021.076998695

// tzDays is the calendar's offset from UT, in days (GMT+7).
const tzDays = 7.0 / 24

// unixEpochJDN is the Julian day number of 1970-01-01.
const unixEpochJDN = 2440588

// jdnOf returns the Julian day number of the civil date y-m-d.
func jdnOf(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400) + unixEpochJDN
}

// dateOfJDN returns the civil date of Julian day number jdn, at midnight GMT+7.
func dateOfJDN(jdn int) time.Time {
	u := time.Unix(int64(jdn-unixEpochJDN)*86400, 0).UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, Zone)
}

// newMoon returns the Julian date (UT) of new moon number k after newMoonEpoch.
func newMoon(k int) float64 {
	const rad = math.Pi / 180
	kf := float64(k)
	t := kf / 1236.85 // Julian centuries since 1900
	t2, t3 := t*t, t*t*t
	jd := 2415020.75933 + 29.53058868*kf + 0.0001178*t2 - 0.000000155*t3 +
		0.00033*math.Sin((166.56+132.87*t-0.009173*t2)*rad)
	sun := (359.2242 + 29.10535608*kf - 0.0000333*t2 - 0.00000347*t3) * rad   // sun's mean anomaly
	moon := (306.0253 + 385.81691806*kf + 0.0107306*t2 + 0.00001236*t3) * rad // moon's mean anomaly
	lat := (21.2964 + 390.67050646*kf - 0.0016528*t2 - 0.00000239*t3) * rad   // moon's argument of latitude
	c := (0.1734-0.000393*t)*math.Sin(sun) + 0.0021*math.Sin(2*sun) -
		0.4068*math.Sin(moon) + 0.0161*math.Sin(2*moon) - 0.0004*math.Sin(3*moon) +
		0.0104*math.Sin(2*lat) - 0.0051*math.Sin(sun+moon) - 0.0074*math.Sin(sun-moon) +
		0.0004*math.Sin(2*lat+sun) - 0.0004*math.Sin(2*lat-sun) - 0.0006*math.Sin(2*lat+moon) +
		0.0010*math.Sin(2*lat-moon) + 0.0005*math.Sin(2*moon+sun)
	// ΔT, the difference between dynamical and universal time, in days.
	var deltaT float64
	if t < -11 {
		deltaT = 0.001 + 0.000839*t + 0.0002261*t2 - 0.00000845*t3 - 0.000000081*t*t3
	} else {
		deltaT = -0.000278 + 0.000265*t + 0.000262*t2
	}
	return jd + c - deltaT
}

// newMoonDay returns the Julian day number of the local (GMT+7) day of new moon number k.
func newMoonDay(k int) int { return int(math.Floor(newMoon(k) + 0.5 + tzDays)) }

// sunLongitude returns the sun's apparent ecliptic longitude, in radians in [0, 2π), at Julian date jd (UT).
func sunLongitude(jd float64) float64 {
	const rad = math.Pi / 180
	t := (jd - 2451545.0) / 36525 // Julian centuries since J2000
	t2 := t * t
	anomaly := (357.52910 + 35999.05030*t - 0.0001559*t2 - 0.00000048*t*t2) * rad
	mean := 280.46645 + 36000.76983*t + 0.0003032*t2
	center := (1.914600-0.004817*t-0.000014*t2)*math.Sin(anomaly) +
		(0.019993-0.000101*t)*math.Sin(2*anomaly) + 0.000290*math.Sin(3*anomaly)
	l := (mean + center) * rad
	l -= 2 * math.Pi * math.Floor(l/(2*math.Pi))
	return l
}

// sunSector returns which 30° sector of longitude (0–11, 0 from the vernal equinox) the sun is in at the
// local midnight that begins day jdn.
func sunSector(jdn int) int {
	return int(sunLongitude(float64(jdn)-0.5-tzDays) / math.Pi * 6)
}

// month11Start returns the Julian day number on which lunar month 11 of lunar year y begins: the new moon
// on or before the winter solstice of civil year y.
func month11Start(y int) int {
	k := int(float64(jdnOf(y, time.December, 31)-2415021) / synodicMonth)
	nm := newMoonDay(k)
	if sunSector(nm) >= 9 { // the sun has passed 270° (the solstice) already: month 11 began a moon earlier
		nm = newMoonDay(k - 1)
	}
	return nm
}

// leapMonthOffset returns, for the lunar year beginning with month 11 on day a11 and holding 13 months, how
// many months after month 11 the leap month comes: the first month in which the sun changes no sector.
func leapMonthOffset(a11 int) int {
	k := int(math.Floor((float64(a11)-newMoonEpoch)/synodicMonth + 0.5))
	i := 1
	last, arc := 0, sunSector(newMoonDay(k+i))
	for {
		last = arc
		i++
		arc = sunSector(newMoonDay(k + i))
		if arc == last || i >= 14 {
			return i - 1
		}
	}
}

// LunarToSolar returns the civil date (at midnight GMT+7) of day d of lunar month m (1–12, leap for the
// leap month) of the lunar year that begins in civil year y. ok is false when leap is set and m is not the
// leap month of that year.
func LunarToSolar(d, m, y int, leap bool) (date time.Time, ok bool) {
	var a11, b11 int // the starts of the month 11 before and after the month asked for
	if m < 11 {
		a11, b11 = month11Start(y-1), month11Start(y)
	} else {
		a11, b11 = month11Start(y), month11Start(y+1)
	}
	k := int(math.Floor(0.5 + (float64(a11)-newMoonEpoch)/synodicMonth))
	off := m - 11
	if off < 0 {
		off += 12
	}
	if b11-a11 > 365 { // 13 months between the two months 11: one of them is leap
		leapOff := leapMonthOffset(a11)
		leapMonth := leapOff - 2
		if leapMonth < 0 {
			leapMonth += 12
		}
		if leap && m != leapMonth {
			return time.Time{}, false
		}
		if leap || off >= leapOff {
			off++
		}
	} else if leap {
		return time.Time{}, false
	}
	return dateOfJDN(newMoonDay(k+off) + d - 1), true
}

// VietnamHolidays returns the public holidays of civil year y under the Labour Code 2019 (Article 112),
// in date order: Tết Dương lịch (1/1); Tết Nguyên đán, five days, here the last day of the lunar year and
// the 1st–4th of month 1 (the Prime Minister fixes the actual days each year); Giỗ Tổ Hùng Vương (10/3
// lunar); Ngày Chiến thắng (30/4); Quốc tế Lao động (1/5); Quốc khánh (2/9) and the adjacent day the
// Prime Minister usually picks (3/9 when 2/9 is a Sunday, Monday or Thursday, 1/9 otherwise, which matches
// the decisions of 2021–2025). Days off given in lieu of a holiday on a weekend are not holidays. Shops
// adjust the list once the year's decision is published. Valid for 1900–2100.
func VietnamHolidays(y int) []Holiday {
	day := func(m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Zone) }
	var out []Holiday
	add := func(t time.Time, name string) {
		out = append(out, Holiday{Date: t.Format(time.DateOnly), Name: name})
	}
	add(day(time.January, 1), "Tết Dương lịch")
	tet, _ := LunarToSolar(1, 1, y, false)
	add(tet.AddDate(0, 0, -1), "Tết Nguyên đán (ngày cuối năm)")
	for i, name := range []string{"mùng 1", "mùng 2", "mùng 3", "mùng 4"} {
		add(tet.AddDate(0, 0, i), "Tết Nguyên đán ("+name+")")
	}
	hung, _ := LunarToSolar(10, 3, y, false)
	add(hung, "Giỗ Tổ Hùng Vương")
	add(day(time.April, 30), "Ngày Chiến thắng")
	add(day(time.May, 1), "Ngày Quốc tế Lao động")
	national := day(time.September, 2)
	add(national, "Quốc khánh")
	switch national.Weekday() {
	case time.Sunday, time.Monday, time.Thursday:
		add(day(time.September, 3), "Quốc khánh (ngày liền kề)")
	default:
		add(day(time.September, 1), "Quốc khánh (ngày liền kề)")
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return cmp.Compare(a.Date, b.Date) })
	// Two holidays on one date (not seen in 1900–2100, but cheap to guard) become one entry.
	merged := out[:0]
	for _, h := range out {
		if n := len(merged); n > 0 && merged[n-1].Date == h.Date {
			merged[n-1].Name += "; " + h.Name
			continue
		}
		merged = append(merged, h)
	}
	return merged
}
