-- Place of delivery on each delivery (issue #23 §1): the 分娩地点 categories of the national maternal death report
-- card (PlaceOfDelivery: 1 prefecture-level or higher hospital, 2 county hospital, 3 township hospital, 4 other
-- institution such as a village delivery room, 5 home, 6 en route). NULL on deliveries recorded before it was
-- asked, and on a miscarriage or termination recorded without one; the statistics count those as not in hospital
-- and say how many there are (place_of_delivery_unrecorded). Each baby's own outcome (live or stillborn) is a key of
-- the newborns JSON; rows without it take the delivery's outcome.
ALTER TABLE deliveries ADD COLUMN place_of_delivery smallint CHECK (place_of_delivery BETWEEN 1 AND 6);
