import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Account } from '../identity/account.entity';
import { VerificationCase } from '../verification/verification-case.entity';

export const APPOINTMENT_STATUSES = ['booked', 'cancelled', 'rescheduled', 'started', 'no_show'] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** A booked video call: stored in UTC, shown in the applicant's time zone (IANA name) and the agent's. */
@Entity({ tableName: 'appointment' })
@Index({ properties: ['status', 'startsAt'] })
@Index({ properties: ['verificationCase', 'status'] })
export class Appointment {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => VerificationCase, { deleteRule: 'cascade' })
  verificationCase!: VerificationCase;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  account!: Account;

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  agent!: Account;

  @Property({ type: 'datetime' })
  startsAt!: Date;

  @Property({ type: 'datetime' })
  endsAt!: Date;

  /** The applicant's time zone when booking (IANA name). */
  @Property({ type: 'text' })
  timeZone!: string;

  @Enum({ items: [...APPOINTMENT_STATUSES] })
  status: Opt<AppointmentStatus> = 'booked';

  /** Sent markers: each reminder goes out once, whatever the number of instances. */
  @Property({ type: 'datetime', nullable: true })
  reminderDaySentAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  reminderSoonSentAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();
}

/**
 * An agent's slot while booked: the primary key (agent, start) is what makes a slot
 * impossible to double-book, even under concurrent bookings. Deleted when the appointment
 * is cancelled, rescheduled or missed: the slot is free again.
 */
@Entity({ tableName: 'booked_slot' })
export class BookedSlot {
  @ManyToOne(() => Account, { primary: true, deleteRule: 'cascade' })
  agent!: Account;

  @PrimaryKey({ type: 'datetime' })
  startsAt!: Date;

  @ManyToOne(() => Appointment, { deleteRule: 'cascade', unique: true })
  appointment!: Appointment;
}

/** An agent's weekly hours, in the agent's own time zone. */
@Entity({ tableName: 'agent_shift' })
@Index({ properties: ['agent'] })
export class AgentShift {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  agent!: Account;

  /** 0 Sunday … 6 Saturday, in the agent's time zone. */
  @Property({ type: 'smallint' })
  weekday!: number;

  /** Minutes after local midnight. */
  @Property({ type: 'smallint' })
  startMinute!: number;

  @Property({ type: 'smallint' })
  endMinute!: number;

  @Property({ type: 'text' })
  timeZone!: string;
}

/** A day an agent does not work (holiday, leave), in the agent's time zone. */
@Entity({ tableName: 'agent_shift_exception' })
@Unique({ properties: ['agent', 'date'] })
export class AgentShiftException {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  agent!: Account;

  /** YYYY-MM-DD */
  @Property({ type: 'text' })
  date!: string;
}
